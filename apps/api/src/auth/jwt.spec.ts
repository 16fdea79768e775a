import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signJwt, verifyJwt } from './jwt';

const SECRET = 'a'.repeat(48);
const now = Date.parse('2026-11-24T00:00:00Z');
const claims = { sub: 'engineer', role: 'engineer', iat: now / 1000, exp: now / 1000 + 60 };
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const hs256 = (input: string, secret: string): string => createHmac('sha256', secret).update(input).digest('base64url');

describe('verifyJwt', () => {
  it('accepts a token it signed, with its claims', () => {
    expect(verifyJwt(signJwt(claims, SECRET), SECRET, now)).toEqual({ ok: true, claims });
  });

  const good = signJwt(claims, SECRET);
  const [h, p] = good.split('.') as [string, string];
  it.each([
    ['expired', signJwt({ ...claims, exp: now / 1000 - 1 }, SECRET), 'expired'],
    ['expiring right now', signJwt({ ...claims, exp: now / 1000 }, SECRET), 'expired'],
    ['signed with another key', signJwt(claims, 'b'.repeat(48)), 'signature'],
    ['tampered payload (role raised)', `${h}.${b64({ ...claims, role: 'admin' })}.${good.split('.')[2]}`, 'signature'],
    ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`, 'algorithm'],
    ['alg none with a signature', `${b64({ alg: 'none' })}.${p}.${good.split('.')[2]}`, 'algorithm'],
    ['alg HS512 header', `${b64({ alg: 'HS512' })}.${p}.${hs256(`${b64({ alg: 'HS512' })}.${p}`, SECRET)}`, 'algorithm'],
    ['truncated signature', good.slice(0, -4), 'signature'],
    ['empty signature', `${h}.${p}.`, 'signature'],
    ['two parts', `${h}.${p}`, 'malformed'],
    ['not base64url JSON', 'x.y.z', 'malformed'],
    ['no exp', (() => { const body = `${h}.${b64({ sub: 'a', role: 'admin', iat: 1 })}`; return `${body}.${hs256(body, SECRET)}`; })(), 'malformed'],
  ])('refuses a token %s', (_, token, reason) => {
    expect(verifyJwt(token, SECRET, now)).toEqual({ ok: false, reason });
  });
});
