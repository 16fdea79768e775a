'use client';

import { useEffect, useState, type FormEvent } from 'react';
import { resolveApiBase } from '../../lib/api-url';
import { type AuthOptions, fetchAuthOptions, login, LoginError } from '../../lib/auth';
import styles from './auth.module.css';

/** Sign-in against the api; lists the demo users when the api says it runs in demo mode. */
export function LoginForm({ apiUrl }: { apiUrl: string }) {
  const [apiBase, setApiBase] = useState<string | null>(null);
  const [options, setOptions] = useState<AuthOptions | null>(null);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const base = resolveApiBase(apiUrl || undefined, window.location);
    setApiBase(base);
    fetchAuthOptions(base).then(setOptions, () => setOptions(null));
  }, [apiUrl]);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!apiBase) return;
    setBusy(true);
    setError(null);
    try {
      await login(apiBase, username.trim(), password);
      window.location.assign('/');
    } catch (err) {
      setError(err instanceof LoginError ? err.message : 'Cannot reach the server.');
      setBusy(false);
    }
  };

  return (
    <main className={styles.page}>
      <form className={styles.card} onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <h1 className={styles.title}>Line Monitor</h1>
        <label className={styles.field}>
          Username
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label className={styles.field}>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error ? (
          <p className={styles.error} role="alert" data-testid="login-error">
            {error}
          </p>
        ) : null}
        <button className={styles.button} type="submit" disabled={busy || !apiBase}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {options?.anonymous_view ? (
          <a className={styles.link} href="/">
            Continue without signing in (view only)
          </a>
        ) : null}
        {options && options.demo_users.length > 0 ? (
          <div className={styles.demo} data-testid="demo-users">
            Demo mode: sign in as
            <table>
              <tbody>
                {options.demo_users.map((u) => (
                  <tr key={u.username}>
                    <td>
                      <code>{u.username}</code>
                    </td>
                    <td>
                      <code>{u.password}</code>
                    </td>
                    <td>{u.role}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </form>
    </main>
  );
}
