// What the create and attach forms share: the frame with the problems that name no field, the
// submit button (disabled while the spec is invalid, saying why), and the POST itself.
import { useState, type ReactNode } from 'react';
import { api, ApiError, WS } from '../../api.ts';
import { navigate } from '../../router.tsx';
import { ErrorBox } from '../../ui.tsx';
import type { ComputeView } from '../../../protocol/compute.ts';
import type { FormState } from './form-kit.tsx';
import type { SpecProblems } from './spec-check.ts';

/** Warnings the server gave with a create (a password instead of a key...), shown once on the compute's page. */
const WARNINGS_KEY = (name: string) => `cairn.compute-warnings.${name}`;
export function takeWarnings(name: string): string[] {
  try {
    const raw = sessionStorage.getItem(WARNINGS_KEY(name));
    sessionStorage.removeItem(WARNINGS_KEY(name));
    return raw ? (JSON.parse(raw) as string[]) : [];
  } catch {
    return [];
  }
}

export function ComputeForm({ title, form, problems, spec, attach, submitLabel, busyLabel, onCancel, children }: {
  title: string;
  form: FormState;
  problems: SpecProblems;
  spec: Record<string, unknown>;
  attach: boolean;
  submitLabel: string;
  busyLabel: string;
  onCancel: () => void;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<ApiError | null>(null);
  const invalid = problems.first !== null;
  const submit = async () => {
    if (invalid) return form.revealAll();
    setBusy(true);
    setRefused(null);
    try {
      const view = await api<ComputeView & { warnings?: string[] }>('POST', `${WS}/computes`, { spec, attach });
      if (view.warnings?.length) sessionStorage.setItem(WARNINGS_KEY(view.name), JSON.stringify(view.warnings));
      navigate(`/computes/${encodeURIComponent(view.name)}`);
    } catch (err) {
      setRefused(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <form
      className="form compute-form card"
      aria-label={title}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>{title}</h2>
      {problems.general.map((m) => (
        <ErrorBox key={m} error={m} />
      ))}
      {children}
      {refused ? <ErrorBox error={refused} /> : null}
      <div className="actions form-footer">
        <button type="submit" className="primary" disabled={invalid || busy}>
          {busy ? busyLabel : submitLabel}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
        {invalid ? (
          <span className="field-error why-disabled" role="status">
            Not ready: {problems.first}
          </span>
        ) : null}
      </div>
    </form>
  );
}
