import type { ClientType } from '@lm/protocol';
import type { Role } from './principal';

export type { ClientType };

const RANK: Record<Role, number> = { operator: 0, engineer: 1, admin: 2 };

/** Roles are ordered: engineer has every right of operator, admin every right of engineer (DESIGN.md 8). */
export function hasRole(role: Role, atLeast: Role): boolean {
  return RANK[role] >= RANK[atLeast];
}

// Who may send which WebSocket command. A `Record` over the protocol's union: a new command type does not
// compile until someone decides who may send it.
const COMMAND_MIN_ROLE: Record<ClientType, Role | 'anyone'> = {
  heartbeat: 'anyone',
  subscribe: 'anyone',
  unsubscribe: 'anyone',
  resume: 'anyone',
  request_latest: 'anyone',
  request_status: 'anyone',
  alarm_ack: 'engineer',
  alarm_shelve: 'engineer',
  alarm_unshelve: 'engineer',
};

/** Whether a connection may run a WebSocket command (anonymous viewers only read). */
export function canRunCommand(role: Role, anonymous: boolean, type: ClientType): boolean {
  const need = COMMAND_MIN_ROLE[type];
  if (need === 'anyone') return true;
  if (anonymous) return false;
  return hasRole(role, need);
}
