import { createHmac, timingSafeEqual } from 'node:crypto';

// A deliberately tiny HS256 JWT (RFC 7519) instead of a dependency: we only ever sign and verify our own
// tokens with one shared secret, so the whole attack surface is the checks below. The header must be
// exactly HS256 (no `none`, no RS/HS confusion, no `kid`/`jku` lookups), the signature is compared in
// constant time, and `exp` is mandatory.

export interface TokenClaims {
  /** username */
  sub: string;
  role: string;
  /** issued at / expires (epoch seconds) */
  iat: number;
  exp: number;
}

export type VerifyResult = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'algorithm' | 'signature' | 'expired' };

const b64url = (buf: Buffer): string => buf.toString('base64url');
const HEADER = b64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));

function sign(input: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(input).digest();
}

export function signJwt(claims: TokenClaims, secret: string): string {
  const body = `${HEADER}.${b64url(Buffer.from(JSON.stringify(claims)))}`;
  return `${body}.${b64url(sign(body, secret))}`;
}

function decodeJson(part: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

export function verifyJwt(token: string, secret: string, nowMs = Date.now()): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: unknown;
  try {
    header = decodeJson(h);
    payload = decodeJson(p);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof header !== 'object' || header === null || (header as { alg?: unknown }).alg !== 'HS256') return { ok: false, reason: 'algorithm' };
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return { ok: false, reason: 'signature' };
  const expected = sign(`${h}.${p}`, secret);
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };
  const c = payload as Partial<TokenClaims> | null;
  if (!c || typeof c.sub !== 'string' || typeof c.role !== 'string' || typeof c.exp !== 'number' || typeof c.iat !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  if (c.exp * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { sub: c.sub, role: c.role, iat: c.iat, exp: c.exp } };
}
