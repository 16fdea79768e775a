'use client';

import { useCallback, useEffect, useState } from 'react';

// The session lives in sessionStorage: per tab, gone when the tab closes (control-room PCs are shared),
// never sent by the browser on its own (no CSRF). Like localStorage it is readable by script, so XSS is
// the risk to keep out; an httpOnly cookie would not help here, since the token must go into the
// WebSocket URL (`?token=`) from script, and the api is on another origin (port 8080) on a laptop.
const KEY = 'line-monitor.session';

export interface Session {
  token: string;
  username: string;
  role: 'operator' | 'engineer' | 'admin';
  /** epoch ms */
  expiresAt: number;
}

export interface AuthOptions {
  anonymous_view: boolean;
  demo_users: { username: string; password: string; role: string }[];
}

export function loadSession(now = Date.now()): Session | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.username !== 'string' || typeof s.role !== 'string' || typeof s.expiresAt !== 'number') return null;
    if (s.expiresAt <= now) {
      window.sessionStorage.removeItem(KEY);
      return null;
    }
    return s as Session;
  } catch {
    return null;
  }
}

function saveSession(s: Session): void {
  window.sessionStorage.setItem(KEY, JSON.stringify(s));
  window.dispatchEvent(new Event(KEY));
}

export function clearSession(): void {
  window.sessionStorage.removeItem(KEY);
  window.dispatchEvent(new Event(KEY));
}

export class LoginError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** OAuth2 password flow against the api, then who we are (`/api/auth/me`). */
export async function login(apiBase: string, username: string, password: string): Promise<Session> {
  const res = await fetch(`${apiBase}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }).toString(),
  });
  if (!res.ok) {
    const retry = res.headers.get('retry-after');
    if (res.status === 429) throw new LoginError(`Too many attempts. Try again in ${retry ?? 'a few'} seconds.`, 429);
    if (res.status === 401) throw new LoginError('Wrong username or password.', 401);
    throw new LoginError(`Sign-in failed (HTTP ${res.status}).`, res.status);
  }
  const body = (await res.json()) as { access_token: string; expires_in: number };
  const me = await fetch(`${apiBase}/api/auth/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
  if (!me.ok) throw new LoginError(`Sign-in failed (HTTP ${me.status}).`, me.status);
  const who = (await me.json()) as { username: string; role: Session['role'] };
  const session: Session = { token: body.access_token, username: who.username, role: who.role, expiresAt: Date.now() + body.expires_in * 1000 };
  saveSession(session);
  return session;
}

export async function fetchAuthOptions(apiBase: string): Promise<AuthOptions> {
  const res = await fetch(`${apiBase}/api/auth/options`);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as AuthOptions;
}

/** The session of this tab; `ready` once read in the browser. Cleared when the token expires. */
export function useSession(): { ready: boolean; session: Session | null; signOut: () => void } {
  const [state, setState] = useState<{ ready: boolean; session: Session | null }>({ ready: false, session: null });
  useEffect(() => {
    const read = (): void => setState({ ready: true, session: loadSession() });
    read();
    window.addEventListener(KEY, read);
    return () => window.removeEventListener(KEY, read);
  }, []);
  useEffect(() => {
    if (!state.session) return;
    const t = window.setTimeout(clearSession, Math.max(0, state.session.expiresAt - Date.now()));
    return () => window.clearTimeout(t);
  }, [state.session]);
  const signOut = useCallback(() => clearSession(), []);
  return { ...state, signOut };
}
