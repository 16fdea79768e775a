import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AuditEvent, AuditService } from '../audit/audit.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { UsersService } from '../users/users.service';
import { DEMO_USERS } from './auth-config';
import { signJwt, verifyJwt } from './jwt';
import { LoginRateLimiter } from './login-rate-limiter';
import { dummyHash, needsRehash, verifyPassword } from './password';
import { type Principal, ROLES, type Role } from './principal';

export const JWT_SECRET = Symbol('JWT_SECRET');

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export type LoginResult = { ok: true; token: TokenResponse } | { ok: false; reason: 'invalid' } | { ok: false; reason: 'rate_limited'; retryAfter: number };

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'algorithm' | 'signature' | 'expired' | 'unknown_user' };

export const ANONYMOUS: Principal = Object.freeze({ username: 'anonymous', role: 'operator', anonymous: true, expiresAt: null });

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly limiter: LoginRateLimiter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(JWT_SECRET) private readonly secret: string,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {
    this.limiter = new LoginRateLimiter(config.auth.loginRateLimit);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.auth.seedDemoUsers) await this.users.seedDemoUsers(DEMO_USERS);
    if (this.config.auth.adminPassword) await this.users.ensureAdmin(this.config.auth.adminPassword);
  }

  /** Demo passwords are public knowledge (README, DESIGN.md); outside demo mode nothing is listed. */
  options(): { anonymous_view: boolean; demo_users: { username: string; password: string; role: Role }[] } {
    return { anonymous_view: this.config.auth.allowAnonymousView, demo_users: this.config.auth.seedDemoUsers ? DEMO_USERS.map((u) => ({ ...u })) : [] };
  }

  get anonymousViewAllowed(): boolean {
    return this.config.auth.allowAnonymousView;
  }

  async login(username: string, password: string, address: string): Promise<LoginResult> {
    const retryAfter = this.limiter.attempt(username, address);
    if (retryAfter > 0) {
      await this.audit.record({ event: AuditEvent.LOGIN_RATE_LIMITED, subject: username, address, success: false, details: { retry_after: retryAfter } });
      return { ok: false, reason: 'rate_limited', retryAfter };
    }
    const user = await this.users.findByUsername(username);
    // Hash even for an unknown user, so response time does not tell which usernames exist.
    const passwordOk = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !passwordOk || user.disabled) {
      this.limiter.failed(username);
      const why = !user ? 'unknown_user' : !passwordOk ? 'wrong_password' : 'disabled';
      await this.audit.record({ event: AuditEvent.LOGIN_FAILED, actor: user ? username : null, subject: username, address, success: false, details: { reason: why } });
      return { ok: false, reason: 'invalid' };
    }
    this.limiter.succeeded(username);
    // Parameters raised since this hash was made: store a new one while we know the password.
    if (needsRehash(user.passwordHash)) await this.users.rehash(user.username, password);
    await this.audit.record({ event: AuditEvent.LOGIN, actor: username, subject: username, address, success: true, details: { role: user.role } });
    return { ok: true, token: this.issue(user.username, user.role) };
  }

  issue(username: string, role: Role, nowMs = Date.now()): TokenResponse {
    const ttl = this.config.auth.tokenTtlSeconds;
    const iat = Math.floor(nowMs / 1000);
    return { access_token: signJwt({ sub: username, role, iat, exp: iat + ttl }, this.secret), token_type: 'bearer', expires_in: ttl };
  }

  /** Verifies a token and that its user still exists and is enabled; the role is the current one. */
  async check(token: string): Promise<TokenCheck> {
    const v = verifyJwt(token, this.secret);
    if (!v.ok) return v;
    const user = await this.users.findByUsername(v.claims.sub);
    if (!user || user.disabled || !ROLES.includes(user.role)) return { ok: false, reason: 'unknown_user' };
    return { ok: true, principal: { username: user.username, role: user.role, anonymous: false, expiresAt: v.claims.exp * 1000 } };
  }
}

/** `Authorization: Bearer x` -> x; anything else -> null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] ?? null;
}
