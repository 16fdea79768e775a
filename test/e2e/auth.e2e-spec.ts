import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';

// Users, roles and tokens against the real api: HTTP guard on every route, tokens, WebSocket admission.
const SECRET = 'e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz';
const ROLE_RANK = { operator: 0, engineer: 1, admin: 2 } as const;
type Role = keyof typeof ROLE_RANK;
type Access = { public: true } | { min_role: Role; anonymous_view: boolean };

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
function forge(header: object, claims: object, secret: string | null): string {
  const body = `${b64(header)}.${b64(claims)}`;
  return `${body}.${secret === null ? '' : createHmac('sha256', secret).update(body).digest('base64url')}`;
}
const now = (): number => Math.floor(Date.now() / 1000);

async function login(api: TestApi, username: string, password: string, as: 'form' | 'json' = 'json'): Promise<Response> {
  return fetch(`${api.httpUrl}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': as === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: as === 'form' ? new URLSearchParams({ grant_type: 'password', username, password }).toString() : JSON.stringify({ username, password }),
  });
}

async function tokenOf(api: TestApi, username: string, password: string): Promise<string> {
  const res = await login(api, username, password);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Opens a WebSocket and waits until it is greeted (`connected`) or closed: the outcome of admission. */
async function admission(url: string, headers: Record<string, string> = {}): Promise<{ closeCode: number | null; user: unknown }> {
  const ws = await TestWsClient.connect(url, headers);
  const outcome = await waitFor(() => ws.closed ?? ws.frames.find((f) => f.type === 'connected'), 'connected or close');
  await ws.close();
  return 'code' in outcome ? { closeCode: outcome.code, user: null } : { closeCode: null, user: (outcome.data as { user: unknown }).user };
}

describe('auth (demo mode, anonymous viewing on)', () => {
  let api: TestApi;
  const tokens: Record<Role, string> = { operator: '', engineer: '', admin: '' };

  beforeAll(async () => {
    api = await startTestApi({ JWT_SECRET: SECRET });
    for (const role of Object.keys(tokens) as Role[]) tokens[role] = await tokenOf(api, role, `${role}-demo`);
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('issues a bearer token for form fields (OAuth2 password flow) and for JSON', async () => {
    for (const as of ['form', 'json'] as const) {
      const res = await login(api, 'engineer', 'engineer-demo', as);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({ access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), token_type: 'bearer', expires_in: 8 * 3600 });
      const me = await fetch(`${api.httpUrl}/api/auth/me`, { headers: { authorization: `Bearer ${String(body.access_token)}` } });
      expect(await me.json()).toMatchObject({ username: 'engineer', role: 'engineer', anonymous: false });
    }
  });

  it.each([
    ['wrong password', 'operator', 'nope'],
    ['unknown user', 'nobody', 'operator-demo'],
  ])('refuses a %s with 401 and the same answer', async (_, username, password) => {
    const res = await login(api, username, password);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ detail: 'Incorrect username or password' });
  });

  it('tells the login page about anonymous viewing and the demo users', async () => {
    expect(await (await fetch(`${api.httpUrl}/api/auth/options`)).json()).toEqual({
      anonymous_view: true,
      demo_users: [
        { username: 'operator', password: 'operator-demo', role: 'operator' },
        { username: 'engineer', password: 'engineer-demo', role: 'engineer' },
        { username: 'admin', password: 'admin-demo', role: 'admin' },
      ],
    });
  });

  it('answers a login without fields with 422', async () => {
    const res = await fetch(`${api.httpUrl}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(422);
  });

  it('every route of the OpenAPI document declares an access rule, and the guard enforces it for every role', async () => {
    const doc = (await (await fetch(`${api.httpUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, { 'x-access'?: Access }>>; components: { securitySchemes: object } };
    expect(doc.components.securitySchemes).toMatchObject({ OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { tokenUrl: '/api/auth/token' } } } });
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, access: op['x-access'] })));
    expect(routes.length).toBeGreaterThanOrEqual(10);
    // Known routes must keep their rules; a route that is not listed needs only an x-access rule.
    const expected: Record<string, Access> = {
      'GET /health': { public: true },
      'GET /health/websocket': { public: true },
      'POST /api/auth/token': { public: true },
      'GET /api/auth/options': { public: true },
      'GET /api/auth/me': { min_role: 'operator', anonymous_view: true },
      'GET /api/lines': { min_role: 'operator', anonymous_view: true },
      'GET /api/lines/{id}': { min_role: 'operator', anonymous_view: true },
      'GET /api/users': { min_role: 'admin', anonymous_view: false },
      'POST /api/users': { min_role: 'admin', anonymous_view: false },
      'PUT /api/users/{username}/role': { min_role: 'admin', anonymous_view: false },
      'PUT /api/users/{username}/password': { min_role: 'admin', anonymous_view: false },
      'POST /api/users/{username}/disable': { min_role: 'admin', anonymous_view: false },
      'POST /api/users/{username}/enable': { min_role: 'admin', anonymous_view: false },
      'GET /api/audit': { min_role: 'admin', anonymous_view: false },
    };
    const missing = routes.filter((r) => !r.access).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    for (const [route, access] of Object.entries(expected)) expect([route, routes.find((r) => `${r.method} ${r.path}` === route)?.access]).toEqual([route, access]);

    const callers: { who: string; token: string | null; role: Role | null }[] = [
      { who: 'no token (anonymous viewer)', token: null, role: null },
      ...(Object.keys(tokens) as Role[]).map((role) => ({ who: role, token: tokens[role], role })),
    ];
    const outcomes: string[] = [];
    const wrong: string[] = [];
    for (const r of routes) {
      // Path parameters point at nothing: a caller who gets past the guard sees 404/422, never 401/403.
      const url = `${api.httpUrl}${r.path.replace(/\{[^}]+\}/g, 'zz-missing')}`;
      for (const c of callers) {
        const ctrl = new AbortController();
        const res = await fetch(url, {
          method: r.method,
          signal: ctrl.signal,
          headers: { ...(c.token ? { authorization: `Bearer ${c.token}` } : {}), ...(r.method === 'GET' ? {} : { 'content-type': 'application/json' }) },
          ...(r.method === 'GET' ? {} : { body: '{}' }),
        });
        ctrl.abort(); // streams (SSE) stay open otherwise
        const a = r.access!;
        const want = 'public' in a ? 'allowed' : c.role === null ? (a.anonymous_view ? 'allowed' : 401) : ROLE_RANK[c.role] >= ROLE_RANK[a.min_role] ? 'allowed' : 403;
        const got = res.status === 401 || res.status === 403 ? res.status : 'allowed';
        outcomes.push(`${r.method} ${r.path} as ${c.who}: ${got}`);
        if (got !== want) wrong.push(`${r.method} ${r.path} as ${c.who}: got ${res.status}, want ${want}`);
        if (res.status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    expect(wrong).toEqual([]);
    expect(outcomes.length).toBe(routes.length * callers.length);
  }, 60_000);

  it('answers 401 Not authenticated without a token on a route that needs one', async () => {
    const res = await fetch(`${api.httpUrl}/api/users`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await res.json()).toEqual({ detail: 'Not authenticated' });
    const forbidden = await fetch(`${api.httpUrl}/api/users`, { headers: { authorization: `Bearer ${tokens.engineer}` } });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({ detail: 'Requires the admin role' });
  });

  const badTokens = (): [string, string][] => {
    const claims = { sub: 'admin', role: 'admin', iat: now(), exp: now() + 600 };
    const [h, , s] = tokens.operator.split('.');
    return [
      ['expired', forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now() - 700, exp: now() - 100 }, SECRET)],
      ['tampered (operator raised to admin)', `${h}.${b64({ ...claims, sub: 'operator' })}.${s}`],
      ['alg none', forge({ alg: 'none', typ: 'JWT' }, claims, null)],
      ['signed with another key', forge({ alg: 'HS256', typ: 'JWT' }, claims, 'another-secret-another-secret-another-secret')],
      ['garbage', 'not-a-token'],
      ['for a user that does not exist', forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: 'ghost' }, SECRET)],
    ];
  };

  it('refuses bad tokens over HTTP with 401, even on routes anonymous viewers may read', async () => {
    for (const [what, token] of badTokens()) {
      for (const path of ['/api/users', '/api/lines', '/api/auth/me']) {
        const res = await fetch(`${api.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
        expect([what, path, res.status]).toEqual([what, path, 401]);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  it('refuses bad tokens over the WebSocket with 4401 (query and header), even with anonymous viewing on', async () => {
    for (const [what, token] of badTokens()) {
      expect([what, (await admission(`${api.wsUrl}?token=${encodeURIComponent(token)}`)).closeCode]).toEqual([what, 4401]);
      expect([what, (await admission(api.wsUrl, { authorization: `Bearer ${token}` })).closeCode]).toEqual([what, 4401]);
    }
  }, 30_000);

  it('admits good tokens over the WebSocket from ?token= or the header, and anonymous viewers without one', async () => {
    expect(await admission(`${api.wsUrl}?token=${tokens.engineer}`)).toEqual({ closeCode: null, user: { username: 'engineer', role: 'engineer' } });
    expect(await admission(api.wsUrl, { authorization: `Bearer ${tokens.admin}` })).toEqual({ closeCode: null, user: { username: 'admin', role: 'admin' } });
    expect((await admission(api.wsUrl)).closeCode).toBeNull();
  });

  it('closes a connection with 4401 when its token expires', async () => {
    const token = forge({ alg: 'HS256', typ: 'JWT' }, { sub: 'engineer', role: 'engineer', iat: now(), exp: now() + 2 }, SECRET);
    const ws = await TestWsClient.connect(`${api.wsUrl}?token=${token}`);
    await ws.next((f) => f.type === 'connected', 'connected');
    const closed = await waitFor(() => ws.closed ?? undefined, 'close at expiry', 5000);
    expect(closed.code).toBe(4401);
  });

  it('answers WebSocket alarm commands by role: forbidden for anonymous viewers and operators, run for engineers', async () => {
    const outcome = async (url: string): Promise<string> => {
      const ws = await TestWsClient.connect(url);
      await ws.next((f) => f.type === 'connected', 'connected');
      ws.send({ type: 'alarm_ack', timestamp: new Date().toISOString(), data: { alarm_id: '999999', request_id: 'ack' } });
      const answer = await ws.next((f) => (f.data as { request_id?: string }).request_id === 'ack', 'the answer to alarm_ack');
      await ws.close();
      return answer.type === 'error' ? String((answer.data as { code: string }).code) : answer.type;
    };
    expect(await outcome(api.wsUrl)).toBe('forbidden');
    expect(await outcome(`${api.wsUrl}?token=${tokens.operator}`)).toBe('forbidden');
    expect(await outcome(`${api.wsUrl}?token=${tokens.engineer}`)).not.toBe('forbidden');
    expect(await outcome(`${api.wsUrl}?token=${tokens.admin}`)).not.toBe('forbidden');
  });

  it('checks the Origin: the dashboard origins pass, any other page gets 4403, clients without Origin pass', async () => {
    expect((await admission(api.wsUrl, { origin: 'http://localhost:3000' })).closeCode).toBeNull();
    expect((await admission(api.wsUrl, { origin: 'http://127.0.0.1:3000' })).closeCode).toBeNull();
    expect((await admission(`${api.wsUrl}?token=${tokens.admin}`, { origin: 'https://evil.example.com' })).closeCode).toBe(4403);
    expect((await admission(api.wsUrl, { origin: 'null' })).closeCode).toBe(4403);
  });

  it('CORS answers only the allowed origins', async () => {
    const ok = await fetch(`${api.httpUrl}/api/lines`, { headers: { origin: 'http://localhost:3000' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const evil = await fetch(`${api.httpUrl}/api/lines`, { headers: { origin: 'https://evil.example.com' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an admin manage users, and each change takes effect at once and lands in the audit log', async () => {
    const admin = { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' };
    const created = await fetch(`${api.httpUrl}/api/users`, { method: 'POST', headers: admin, body: JSON.stringify({ username: 'jdoe', password: 'first-password', role: 'operator' }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ username: 'jdoe', role: 'operator', disabled: false });
    expect(JSON.stringify(await (await fetch(`${api.httpUrl}/api/users`, { headers: admin })).json())).not.toContain('password');
    const dup = await fetch(`${api.httpUrl}/api/users`, { method: 'POST', headers: admin, body: JSON.stringify({ username: 'jdoe', password: 'first-password', role: 'operator' }) });
    expect(dup.status).toBe(409);
    const badRole = await fetch(`${api.httpUrl}/api/users`, { method: 'POST', headers: admin, body: JSON.stringify({ username: 'x1', password: 'first-password', role: 'root' }) });
    expect(badRole.status).toBe(422);

    const jdoe = await tokenOf(api, 'jdoe', 'first-password');
    const role = await fetch(`${api.httpUrl}/api/users/jdoe/role`, { method: 'PUT', headers: admin, body: JSON.stringify({ role: 'engineer' }) });
    expect(role.status).toBe(200);
    // The role comes from the database on every request, not from the older token.
    expect(await (await fetch(`${api.httpUrl}/api/auth/me`, { headers: { authorization: `Bearer ${jdoe}` } })).json()).toMatchObject({ role: 'engineer' });

    expect((await fetch(`${api.httpUrl}/api/users/jdoe/password`, { method: 'PUT', headers: admin, body: JSON.stringify({ password: 'second-password' }) })).status).toBe(200);
    expect((await login(api, 'jdoe', 'first-password')).status).toBe(401);
    expect((await login(api, 'jdoe', 'second-password')).status).toBe(200);

    expect((await fetch(`${api.httpUrl}/api/users/jdoe/disable`, { method: 'POST', headers: admin })).status).toBe(200);
    expect((await fetch(`${api.httpUrl}/api/auth/me`, { headers: { authorization: `Bearer ${jdoe}` } })).status).toBe(401);
    expect((await login(api, 'jdoe', 'second-password')).status).toBe(401);
    expect((await admission(`${api.wsUrl}?token=${jdoe}`)).closeCode).toBe(4401);
    expect((await fetch(`${api.httpUrl}/api/users/admin/disable`, { method: 'POST', headers: admin })).status).toBe(422);
    expect((await fetch(`${api.httpUrl}/api/users/nobody/disable`, { method: 'POST', headers: admin })).status).toBe(404);

    const audit = (await (await fetch(`${api.httpUrl}/api/audit?limit=1000`, { headers: admin })).json()) as { event: string; actor: string | null; subject: string | null; success: boolean; details: Record<string, unknown> }[];
    const seen = audit.filter((e) => e.subject === 'jdoe').map((e) => `${e.event}:${e.actor}:${e.success}`);
    expect(seen).toEqual(
      expect.arrayContaining(['user_created:admin:true', 'user_created:admin:false', 'login:jdoe:true', 'role_changed:admin:true', 'password_reset:admin:true', 'login_failed:jdoe:false', 'user_disabled:admin:true']),
    );
    expect(audit.find((e) => e.event === 'role_changed' && e.subject === 'jdoe')?.details).toEqual({ from: 'operator', to: 'engineer' });
    expect(audit.find((e) => e.event === 'login_failed' && e.subject === 'nobody')?.details).toEqual({ reason: 'unknown_user' });
  });
});

describe('auth (anonymous viewing off, strict login limits)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({
      JWT_SECRET: SECRET,
      ALLOW_ANONYMOUS_VIEW: 'false',
      ALLOWED_ORIGINS: 'https://scada.example.com',
      LOGIN_RATE_LIMIT_PER_USER: '3',
      LOGIN_RATE_LIMIT_PER_ADDRESS: '12',
      LOGIN_RATE_WINDOW_SECONDS: '120',
    });
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  });

  it('refuses anonymous HTTP and WebSocket clients with 401 / 4401', async () => {
    const res = await fetch(`${api.httpUrl}/api/lines`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: 'Not authenticated' });
    expect((await admission(api.wsUrl)).closeCode).toBe(4401);
    expect((await fetch(`${api.httpUrl}/health`)).status).not.toBe(401);
  });

  it('allows only the configured origin', async () => {
    const token = await tokenOf(api, 'operator', 'operator-demo');
    expect((await admission(`${api.wsUrl}?token=${token}`, { origin: 'https://scada.example.com' })).closeCode).toBeNull();
    expect((await admission(`${api.wsUrl}?token=${token}`, { origin: 'http://localhost:3000' })).closeCode).toBe(4403);
  });

  it('limits failed logins per username with 429 and Retry-After, even for the right password then', async () => {
    for (let i = 0; i < 3; i++) expect((await login(api, 'engineer', 'wrong')).status).toBe(401);
    const limited = await login(api, 'engineer', 'engineer-demo');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(100);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(await limited.json()).toEqual({ detail: `Too many login attempts, try again in ${retryAfter} s` });
    // Other users are not locked out by it.
    expect((await login(api, 'admin', 'admin-demo')).status).toBe(200);
  });

  it('limits attempts per client address, and X-Forwarded-For does not get around it without TRUST_PROXY', async () => {
    let status = 0;
    let attempts = 0;
    while (status !== 429 && attempts < 20) {
      attempts++;
      const res = await fetch(`${api.httpUrl}/api/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.0.${attempts}` },
        body: JSON.stringify({ username: `user${attempts}`, password: 'x' }),
      });
      status = res.status;
      if (status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(status).toBe(429);
    // 12 per address in all, some spent by the tests before.
    expect(attempts).toBeLessThanOrEqual(12);
  });
});
