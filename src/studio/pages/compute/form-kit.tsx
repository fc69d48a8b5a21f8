// The pieces every compute form is made of: values kept by field path (the YAML's own dotted
// names), which fields the user has touched, and labelled inputs that show their field's message.
import { useId, useState, type ReactNode } from 'react';

export type Values = Record<string, string | boolean>;

export interface FormState {
  values: Values;
  text: (path: string) => string;
  flag: (path: string) => boolean;
  set: (path: string, value: string | boolean) => void;
  /** The form's problems by field, set by the form on each render once it has checked its spec. */
  problems: Record<string, string>;
  /** The message for `path`, once the user has touched that field or something under or above it. */
  errorFor: (path: string) => string | undefined;
  /** Every message shows, touched or not (an attempt to submit an invalid form). */
  revealAll: () => void;
}

export function useFormState(initial: Values): FormState {
  const [values, setValues] = useState<Values>(initial);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [all, setAll] = useState(false);
  const near = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
  const form: FormState = {
    values,
    text: (p) => (typeof values[p] === 'string' ? (values[p] as string) : ''),
    flag: (p) => values[p] === true,
    set: (p, v) => {
      setValues((old) => ({ ...old, [p]: v }));
      setTouched((old) => (old.has(p) ? old : new Set(old).add(p)));
    },
    problems: {},
    errorFor: (p) => (form.problems[p] !== undefined && (all || [...touched].some((t) => near(t, p))) ? form.problems[p] : undefined),
    revealAll: () => setAll(true),
  };
  return form;
}

/** A label around its input, with a hint and the field's message (tied to the input for screen readers). */
function Labelled({ label, hint, error, children }: { label: string; hint?: ReactNode; error?: string; children: (ids: { describedBy: string | undefined }) => ReactNode }) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <label>
      {label}
      {children({ describedBy })}
      {hint ? (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      ) : null}
    </label>
  );
}

interface FieldProps {
  form: FormState;
  path: string;
  label: string;
  hint?: ReactNode;
  /** A problem key also shown here (a group's message, like ssh_settings: give one of ...). */
  errorPath?: string;
}

export function TextField({ form, path, label, hint, errorPath, placeholder, multiline, secret, inputMode }: FieldProps & { placeholder?: string; multiline?: boolean; secret?: boolean; inputMode?: 'numeric' }) {
  const error = form.errorFor(path) ?? (errorPath ? form.errorFor(errorPath) : undefined);
  return (
    <Labelled label={label} hint={hint} error={error}>
      {({ describedBy }) =>
        multiline ? (
          <textarea name={path} rows={3} value={form.text(path)} placeholder={placeholder} aria-invalid={error ? true : undefined} aria-describedby={describedBy} onChange={(e) => form.set(path, e.target.value)} spellCheck={false} />
        ) : (
          <input
            name={path}
            type={secret ? 'password' : 'text'}
            inputMode={inputMode}
            autoComplete={secret ? 'new-password' : 'off'}
            value={form.text(path)}
            placeholder={placeholder}
            aria-invalid={error ? true : undefined}
            aria-describedby={describedBy}
            onChange={(e) => form.set(path, e.target.value)}
            spellCheck={false}
          />
        )
      }
    </Labelled>
  );
}

export const NumberField = (p: FieldProps & { placeholder?: string }) => <TextField {...p} inputMode="numeric" />;

export function SelectField({ form, path, label, hint, errorPath, options }: FieldProps & { options: { value: string; label: string; disabled?: boolean }[] }) {
  const error = form.errorFor(path) ?? (errorPath ? form.errorFor(errorPath) : undefined);
  return (
    <Labelled label={label} hint={hint} error={error}>
      {({ describedBy }) => (
        <select name={path} value={form.text(path)} aria-invalid={error ? true : undefined} aria-describedby={describedBy} onChange={(e) => form.set(path, e.target.value)}>
          {options.map((o) => (
            <option key={o.value} value={o.value} disabled={o.disabled}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Labelled>
  );
}

export function CheckField({ form, path, label, hint, errorPath }: FieldProps) {
  const error = form.errorFor(path) ?? (errorPath ? form.errorFor(errorPath) : undefined);
  const id = useId();
  return (
    <div className="check-field">
      <label className="check">
        <input type="checkbox" name={path} checked={form.flag(path)} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} onChange={(e) => form.set(path, e.target.checked)} />
        {label}
      </label>
      {hint ? <span className="hint">{hint}</span> : null}
      {error ? (
        <span className="field-error" id={`${id}-error`} role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}

/** A private key: pasted, or read from a file chosen here (the text stays in this browser until it is sent). */
export function KeyField({ form, path, label, hint, errorPath }: FieldProps) {
  const [readError, setReadError] = useState<string | null>(null);
  return (
    <div className="key-field">
      <TextField form={form} path={path} label={label} hint={hint} errorPath={errorPath} multiline placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" />
      <label className="file-pick">
        <span className="muted">or read it from a file:</span>
        <input
          type="file"
          onChange={async (e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            try {
              form.set(path, await file.text());
              setReadError(null);
            } catch (err) {
              setReadError(`the file could not be read: ${(err as Error).message}`);
            }
          }}
        />
      </label>
      {readError ? <span className="field-error">{readError}</span> : null}
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="form-section">
      <legend>{title}</legend>
      {children}
    </fieldset>
  );
}
