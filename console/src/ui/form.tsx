/**
 * Forms that validate as the admin API does: the API is the validator, and its refusal is shown
 * next to the field it names (`error.field`), or above the form when it names none.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api';

export interface Submission {
  busy: boolean;
  error: ApiError | null;
  /** The API's message for `field` (dotted name), if it refused that field. */
  fieldError(field: string): string | undefined;
  /** The form's onSubmit handler. */
  onSubmit(event: Event): void;
  /** Runs `action` like a submit (for buttons outside forms). */
  run(): Promise<void>;
}

export function useSubmit(action: () => Promise<unknown>): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'client', String(caught)));
    } finally {
      setBusy(false);
    }
  };
  return {
    busy,
    error,
    fieldError: (field) => (error?.field !== undefined && matches(error.field, field) ? error.message : undefined),
    onSubmit: (event) => {
      event.preventDefault();
      void run();
    },
    run,
  };
}

/** `connection.scopes.1` belongs to the field `connection.scopes`. */
const matches = (errorField: string, field: string) => errorField === field || errorField.startsWith(`${field}.`);

/** The form's error not tied to one of its fields. */
export function FormError(props: { submission: Submission; fields: string[] }) {
  const { error } = props.submission;
  if (!error || (error.field !== undefined && props.fields.some((field) => matches(error.field as string, field)))) {
    return null;
  }
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

/** The input attributes the console's fields use. */
interface InputProps {
  type?: 'text' | 'password';
  placeholder?: string;
  required?: boolean;
  maxLength?: number;
  inputMode?: 'text' | 'numeric' | 'url';
  autoComplete?: string;
  readOnly?: boolean;
}

/** A labelled input whose API error shows beneath it. */
export function Field(
  props: InputProps & {
    name: string;
    label: string;
    value: string;
    onValue(value: string): void;
    error?: string;
    hint?: ComponentChildren;
  },
) {
  const { name, label, value, onValue, error, hint, ...input } = props;
  const id = `field-${name}`;
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const { type: _type, ...rest } = input;
  const attributes = {
    ...rest,
    id,
    name,
    value,
    onInput: (event: Event) => onValue((event.target as HTMLInputElement).value),
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': described || undefined,
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {input.type === 'password' ? <input {...attributes} type="password" /> : <input {...attributes} type="text" />}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A labelled checkbox. */
export function Check(props: {
  name: string;
  label: string;
  checked: boolean;
  onChecked(checked: boolean): void;
  error?: string;
}) {
  const id = `field-${props.name}`;
  return (
    <div class="field check">
      <input
        type="checkbox"
        id={id}
        name={props.name}
        checked={props.checked}
        onChange={(event) => props.onChecked((event.target as HTMLInputElement).checked)}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
      />
      <label for={id}>{props.label}</label>
      {props.error && (
        <p class="error" id={`${id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A labelled select. */
export function Select(props: {
  name: string;
  label: string;
  value: string;
  options: { value: string; label: string }[];
  onValue(value: string): void;
  error?: string;
}) {
  const id = `field-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        onChange={(event) => props.onValue((event.target as HTMLSelectElement).value)}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${id}-error` : undefined}
      >
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      {props.error && (
        <p class="error" id={`${id}-error`} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

/**
 * A number field's value for the API: blank is `blank` (null = unlimited, undefined = unchanged),
 * a whole number is that number, anything else goes as typed so the API refuses it by name.
 */
export function asNumber<B extends null | undefined>(text: string, blank: B): number | string | B {
  const trimmed = text.trim();
  if (trimmed === '') return blank;
  return /^-?\d{1,15}$/.test(trimmed) ? Number(trimmed) : trimmed;
}
