/**
 * A destructive action in two steps: the first button asks, the second (with what will happen
 * said beside it) does it. As the removal of a domain member (pages/domain-members.tsx).
 */
import { useState } from 'preact/hooks';
import { useSubmit } from './form';

export function ConfirmButton(props: {
  /** The first button: `Delete`, `Revoke`… */
  label: string;
  /** What it acts on, for the buttons' accessible names: `Delete DemoChannel`. */
  what: string;
  /** The second button: `Confirm deletion`. */
  confirm: string;
  /** What the action does, shown with the second button. */
  warning?: string;
  action(): Promise<unknown>;
}) {
  const [confirming, setConfirming] = useState(false);
  const submission = useSubmit(async () => {
    await props.action();
    setConfirming(false);
  });
  if (!confirming) {
    return (
      <button type="button" onClick={() => setConfirming(true)} aria-label={`${props.label} ${props.what}`}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm">
      {props.warning && <span>{props.warning}</span>}
      <button
        type="button"
        class="danger"
        onClick={submission.run}
        disabled={submission.busy}
        aria-label={`${props.confirm} of ${props.what}`}
      >
        {props.confirm}
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {submission.error && (
        <span class="error" role="alert">
          {submission.error.message}
        </span>
      )}
    </span>
  );
}
