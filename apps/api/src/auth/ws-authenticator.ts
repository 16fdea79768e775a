import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CloseCode } from '@lm/protocol';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ANONYMOUS, AuthService, bearerToken } from './auth.service';
import type { WsAuthenticator, WsAuthResult } from './principal';

/**
 * Once per WebSocket upgrade. Origin first (cross-site WebSocket hijacking: a browser sends its page's
 * Origin, and the dashboard's own origin is the only page allowed to open our socket); then the token from
 * `Authorization: Bearer` (non-browser clients) or `?token=` (browsers cannot set headers on WebSocket).
 * No token: an anonymous viewer when anonymous viewing is on. A token that is present but bad (expired,
 * tampered, other key, disabled user) is refused even then: the client asked to be someone, and silently
 * downgrading it would hide a stale session.
 */
@Injectable()
export class TokenWsAuthenticator implements WsAuthenticator {
  private readonly origins: Set<string>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
  ) {
    this.origins = new Set(config.auth.allowedOrigins);
  }

  async authenticate(req: IncomingMessage): Promise<WsAuthResult> {
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin.replace(/\/$/, ''))) {
      return { ok: false, closeCode: CloseCode.FORBIDDEN, reason: 'Origin not allowed' };
    }
    const token = bearerToken(req.headers.authorization) ?? tokenFromQuery(req.url);
    if (!token) {
      if (this.auth.anonymousViewAllowed) return { ok: true, principal: ANONYMOUS };
      return { ok: false, closeCode: CloseCode.UNAUTHENTICATED, reason: 'Not authenticated' };
    }
    const r = await this.auth.check(token);
    if (!r.ok) return { ok: false, closeCode: CloseCode.UNAUTHENTICATED, reason: r.reason === 'expired' ? 'Token expired' : 'Invalid token' };
    return { ok: true, principal: r.principal };
  }
}

function tokenFromQuery(url: string | undefined): string | null {
  if (!url) return null;
  return new URL(url, 'http://localhost').searchParams.get('token') || null;
}
