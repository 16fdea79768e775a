import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiForbiddenResponse, ApiOAuth2, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Principal, Role } from './principal';

export const ACCESS_KEY = 'lm:access';
export const OAUTH2_SCHEME = 'OAuth2PasswordBearer';
/** The rule, also in the OpenAPI document (`x-access`): clients see it, and the route table test checks it. */
export const ACCESS_EXTENSION = 'x-access';

/** What the global RolesGuard enforces for a route. A route without it is refused to everyone. */
export type AccessRule = { public: true } | { public: false; minRole: Role; anonymousView: boolean };

/** No token needed (health, the token endpoint). */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(ACCESS_KEY, { public: true } satisfies AccessRule), ApiExtension(ACCESS_EXTENSION, { public: true }));

/**
 * The least role a route needs (roles are ordered: operator < engineer < admin).
 * `anonymousView`: also open to anonymous viewers when anonymous viewing is on (read-only monitoring).
 */
export const Roles = (minRole: Role, opts: { anonymousView?: boolean } = {}): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, { public: false, minRole, anonymousView: opts.anonymousView ?? false } satisfies AccessRule),
    ApiExtension(ACCESS_EXTENSION, { min_role: minRole, anonymous_view: opts.anonymousView ?? false }),
    ApiOAuth2([], OAUTH2_SCHEME),
    ApiUnauthorizedResponse({ description: 'Not authenticated: `{"detail": "Not authenticated"}`' }),
    ApiForbiddenResponse({ description: `Needs the ${minRole} role or higher` }),
  );

/** The caller, as the guard resolved it. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const req = ctx.switchToHttp().getRequest<{ principal?: Principal }>();
  if (!req.principal) throw new Error('CurrentPrincipal used on a route without a principal');
  return req.principal;
});
