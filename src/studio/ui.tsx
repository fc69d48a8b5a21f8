import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api.ts';
import { Link } from './router.tsx';

/** A page: its title, what it is about, actions on the right, then its content. */
export function Page({ title, subtitle, actions, children }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    if (typeof title === 'string') document.title = `${title} · Cairn studio`;
  }, [title]);
  return (
    <section className="page">
      <header className="page-head">
        <div>
          <h1>{title}</h1>
          {subtitle ? <p className="muted">{subtitle}</p> : null}
        </div>
        {actions ? <div className="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

/** What went wrong, in the server's words; a resource that is gone says so and offers the way back. */
export function ErrorBox({ error, back }: { error: ApiError | Error | string; back?: { to: string; label: string } }) {
  const message = typeof error === 'string' ? error : error.message;
  const gone = error instanceof ApiError && error.status === 404;
  return (
    <div className="error" role="alert">
      <strong>{gone ? 'Not found: ' : error instanceof ApiError && error.code === 'ServerUnreachable' ? 'Server unreachable: ' : 'Error: '}</strong>
      {message}
      {back ? (
        <>
          {' '}
          <Link to={back.to}>{back.label}</Link>
        </>
      ) : null}
    </div>
  );
}

/** A spinner that never spins forever: after a while it says that the server is slow. */
export function Loading({ what = 'loading' }: { what?: string }) {
  const [slow, setSlow] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setSlow(true), 8_000);
    return () => clearTimeout(t);
  }, []);
  return (
    <p className="muted" role="status" aria-live="polite">
      {slow ? `still ${what}: the server is slow to answer` : `${what}…`}
    </p>
  );
}

export function Tabs({ tabs, current, onSelect }: { tabs: { id: string; label: string }[]; current: string; onSelect: (id: string) => void }) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((t) => (
        <button key={t.id} role="tab" aria-selected={t.id === current} className={t.id === current ? 'tab active' : 'tab'} onClick={() => onSelect(t.id)}>
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** A button whose action needs a confirmation in a dialog; the action's failure is shown in the dialog. */
export function ConfirmButton({ label, question, onConfirm, danger, disabled }: { label: string; question: ReactNode; onConfirm: () => Promise<unknown>; danger?: boolean; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (open) dialog.current?.showModal?.();
    else dialog.current?.close?.();
  }, [open]);
  return (
    <>
      <button className={danger ? 'danger' : ''} disabled={disabled} onClick={() => (setError(null), setOpen(true))}>
        {label}
      </button>
      {open ? (
        <dialog ref={dialog} className="confirm" onClose={() => setOpen(false)}>
          <p>{question}</p>
          {error ? <ErrorBox error={error} /> : null}
          <div className="actions">
            <button onClick={() => setOpen(false)} disabled={busy}>
              Cancel
            </button>
            <button
              className={danger ? 'danger' : 'primary'}
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                try {
                  await onConfirm();
                  setOpen(false);
                } catch (err) {
                  setError(err as Error);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {busy ? 'Working…' : `Yes, ${label.toLowerCase()}`}
            </button>
          </div>
        </dialog>
      ) : null}
    </>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      className="small"
      aria-label={`${label}: ${text}`}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          // Clipboard refused (no secure context): select-and-copy by hand still works.
        }
        setDone(true);
        setTimeout(() => setDone(false), 1_500);
      }}
    >
      {done ? 'Copied' : label}
    </button>
  );
}

const STATUS_CLASS: Record<string, string> = {
  Completed: 'ok', Succeeded: 'ok', Running: 'run', Ready: 'ok', ready: 'ok',
  Failed: 'bad', Canceled: 'off', NotResponding: 'bad', Preempted: 'warn', Stopped: 'off', unreachable: 'bad',
};
export function Status({ value }: { value: string | null | undefined }) {
  return <span className={`status ${STATUS_CLASS[value ?? ''] ?? 'wait'}`}>{value ?? '-'}</span>;
}

/** A time as the reader's local time, with how long ago on hover. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">-</span>;
  const d = new Date(at);
  const ago = Math.round((Date.now() - d.getTime()) / 1000);
  const words = ago < 60 ? `${ago}s ago` : ago < 3600 ? `${Math.round(ago / 60)}m ago` : ago < 86_400 ? `${Math.round(ago / 3600)}h ago` : `${Math.round(ago / 86_400)}d ago`;
  return <time dateTime={at} title={words}>{d.toLocaleString()}</time>;
}

/** Properties as a two-column list. */
export function Props({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="props">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v ?? <span className="muted">-</span>}</dd>
        </div>
      ))}
    </dl>
  );
}
