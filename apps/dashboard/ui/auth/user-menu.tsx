'use client';

import { useEffect } from 'react';
import { resolveApiBase } from '../../lib/api-url';
import { fetchAuthOptions, type Session } from '../../lib/auth';
import styles from './auth.module.css';

/**
 * The header's corner: who is signed in with which role and a sign-out, or a sign-in link. Without a
 * session it asks the api whether anonymous viewing is on, and sends the browser to /login when it is not.
 */
export function UserMenu({ apiUrl, ready, session, signOut }: { apiUrl: string; ready: boolean; session: Session | null; signOut: () => void }) {
  useEffect(() => {
    if (!ready || session) return;
    let cancelled = false;
    fetchAuthOptions(resolveApiBase(apiUrl || undefined, window.location)).then(
      (o) => {
        if (!cancelled && !o.anonymous_view) window.location.assign('/login');
      },
      () => undefined, // api unreachable: the connection banner says so
    );
    return () => {
      cancelled = true;
    };
  }, [apiUrl, ready, session]);

  if (!ready) return null;
  if (!session) {
    return (
      <a className={styles.link} href="/login" data-testid="sign-in">
        Sign in
      </a>
    );
  }
  return (
    <span className={styles.user} data-testid="user-menu">
      <span data-testid="user-name">{session.username}</span>
      <span className={styles.role} data-testid="user-role">
        {session.role}
      </span>
      <button className={styles.signOut} type="button" onClick={signOut}>
        Sign out
      </button>
    </span>
  );
}
