import { useState, type FormEvent } from 'react';
import type { SignIn } from '../session';

export function SignInPage({ signIn, checking, reason }: { signIn: SignIn; checking: boolean; reason: string | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const message = error ?? reason;
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(await signIn(key));
    setBusy(false);
  };

  return (
    <main className="signin" id="main">
      <h1>LLM Research Lab</h1>
      {checking ? (
        <p role="status">Checking your API key…</p>
      ) : (
        <form onSubmit={submit} aria-label="Sign in">
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-describedby="api-key-help"
            aria-invalid={message ? true : undefined}
          />
          <p id="api-key-help" className="muted">
            Kept for this browser tab only. `llm-lab dev` prints an admin key; `llm-lab api-key create` makes others.
          </p>
          {message && (
            <div className="error" role="alert">
              {message}
            </div>
          )}
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Sign in'}
          </button>
        </form>
      )}
    </main>
  );
}
