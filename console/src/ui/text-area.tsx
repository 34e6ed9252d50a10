/** A labelled textarea whose API error shows beneath it, as form.tsx's Field does for inputs. */
import type { ComponentChildren } from 'preact';

export function TextArea(props: {
  name: string;
  label: string;
  value: string;
  onValue?(value: string): void;
  error?: string;
  hint?: ComponentChildren;
  readOnly?: boolean;
  rows?: number;
}) {
  const id = `field-${props.name}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        name={props.name}
        value={props.value}
        rows={props.rows}
        readOnly={props.readOnly}
        // A read-only text is there to be copied: focusing it selects all of it.
        onFocus={props.readOnly ? (event) => (event.target as HTMLTextAreaElement).select() : undefined}
        spellcheck={false}
        onInput={(event) => props.onValue?.((event.target as HTMLTextAreaElement).value)}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described || undefined}
      />
      {props.hint && (
        <p class="hint" id={`${id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error" id={`${id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
