import { useEffect, useState } from 'react';
import { api, ApiError, onUnauthorized } from './api.ts';
import { Link, match, navigate, RouterProvider, useLocation } from './router.tsx';
import { NAV, ROUTES } from './routes.tsx';
import { ErrorBox, Loading, Page } from './ui.tsx';

interface Session {
  auth_required: boolean;
  logged_in: boolean;
}

export function App() {
  return (
    <RouterProvider>
      <Shell />
    </RouterProvider>
  );
}

/** The frame: navigation, the session (a login when the server needs a token), then the page. */
function Shell() {
  const [session, setSession] = useState<Session | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const check = () =>
    api<Session>('GET', '/api/v1/session').then(
      (s) => (setSession(s), setError(null)),
      (e: ApiError) => setError(e),
    );
  useEffect(() => {
    void check();
    return onUnauthorized(() => setSession((s) => (s ? { ...s, logged_in: false } : s)));
  }, []);
  const loc = useLocation();
  useEffect(() => {
    if (loc.path === '/') navigate('/jobs', { replace: true });
  }, [loc.path]);

  let body;
  if (error && !session) body = <ErrorBox error={error} />;
  else if (!session) body = <Loading what="connecting to the server" />;
  else if (session.auth_required && !session.logged_in) body = <Login onDone={check} />;
  else body = <Routed />;
  return (
    <div className="shell">
      <header className="top">
        <Link to="/jobs" className="brand">
          Cairn studio
        </Link>
        <nav aria-label="main">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} className={loc.path.startsWith(n.to) ? 'active' : ''}>
              {n.label}
            </Link>
          ))}
        </nav>
        {session?.auth_required && session.logged_in ? (
          <button className="small" onClick={() => api('DELETE', '/api/v1/session').finally(check)}>
            Log out
          </button>
        ) : null}
      </header>
      <main>{body}</main>
    </div>
  );
}

function Routed() {
  const loc = useLocation();
  for (const r of ROUTES) {
    const params = match(r.pattern, loc.path);
    if (params) return <r.page key={loc.path} params={params} />;
  }
  if (loc.path === '/') return <Loading />;
  return (
    <Page title="Not found">
      <ErrorBox error={`the studio has no page ${loc.path}`} back={{ to: '/jobs', label: 'Go to jobs' }} />
    </Page>
  );
}

/** This server needs a token: the studio trades it for a session cookie; a job token is refused. */
function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Page title="Log in" subtitle="This server needs an API token (one of its --auth-token / CAIRN_AUTH_TOKENS). The studio keeps it for this browser session.">
      <form
        className="form narrow"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          try {
            await api('POST', '/api/v1/session', { token });
            setError(null);
            onDone();
          } catch (err) {
            setError(err as ApiError);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label>
          API token
          <input type="password" autoComplete="current-password" value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
        </label>
        {error ? <ErrorBox error={error} /> : null}
        <button className="primary" disabled={busy || !token}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </Page>
  );
}
