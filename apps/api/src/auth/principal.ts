import type { IncomingMessage } from 'node:http';
import type { UserInfo } from '@lm/protocol';

export type Role = UserInfo['role'];
export const ROLES: readonly Role[] = ['operator', 'engineer', 'admin'];

/** Who is on the other end of a request or a WebSocket connection. */
export interface Principal {
  username: string;
  role: Role;
  /** Anonymous read-only viewers (demo mode, or ALLOW_ANONYMOUS_VIEW): an operator without commands. */
  anonymous: boolean;
  /** When the credential stops being valid (epoch ms); null for anonymous viewers. */
  expiresAt: number | null;
}

export type WsAuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; closeCode: number; reason: string };

/**
 * The seam between the realtime feature and the auth feature: realtime asks it once per WebSocket
 * upgrade (token from `Authorization: Bearer` or `?token=`, Origin allow-list) and never looks at
 * tokens itself.
 */
export interface WsAuthenticator {
  authenticate(req: IncomingMessage): Promise<WsAuthResult>;
}

export const WS_AUTHENTICATOR = Symbol('WS_AUTHENTICATOR');
