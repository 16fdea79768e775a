import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { ACCESS_KEY, type AccessRule } from './auth.decorators';
import { ANONYMOUS, AuthService, bearerToken } from './auth.service';
import { hasRole } from './permissions';
import type { Principal } from './principal';

/**
 * The global HTTP guard: deny by default. A route must say `@Public()` or `@Roles(...)`; one that says
 * neither is refused to everyone (and the route table test fails on it).
 * WebSocket connections are authenticated at the upgrade (WsAuthenticator); MQTT by the broker.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (rule?.public) return true;
    const req = ctx.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const res = ctx.switchToHttp().getResponse<Response>();

    const token = bearerToken(req.headers.authorization);
    let principal: Principal;
    if (token) {
      const r = await this.auth.check(token);
      if (!r.ok) throw this.unauthorized(res, r.reason === 'expired' ? 'Token expired' : 'Could not validate credentials');
      principal = r.principal;
    } else if (rule?.anonymousView && this.auth.anonymousViewAllowed) {
      principal = ANONYMOUS;
    } else {
      throw this.unauthorized(res, 'Not authenticated');
    }
    req.principal = principal;
    if (!rule) throw new ForbiddenException('This route has no access rule');
    if (principal.anonymous ? !rule.anonymousView : !hasRole(principal.role, rule.minRole)) {
      throw new ForbiddenException(`Requires the ${rule.minRole} role`);
    }
    return true;
  }

  private unauthorized(res: Response, detail: string): UnauthorizedException {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return new UnauthorizedException(detail);
  }
}
