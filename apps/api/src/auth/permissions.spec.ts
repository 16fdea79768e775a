import { describe, expect, it } from '@jest/globals';
import { CLIENT_TYPES } from '@lm/protocol';
import { canRunCommand } from './permissions';
import { ROLES } from './principal';

const READ = ['heartbeat', 'subscribe', 'unsubscribe', 'resume', 'request_latest', 'request_status'];
const ALARM = ['alarm_ack', 'alarm_shelve', 'alarm_unshelve'];

describe('canRunCommand', () => {
  // Every protocol command against every role, anonymous or not.
  const rows = CLIENT_TYPES.flatMap((type) => [...ROLES.map((role) => [type, role, false] as const), [type, 'operator', true] as const]);
  it.each(rows)('%s by %s (anonymous: %s)', (type, role, anonymous) => {
    const expected = READ.includes(type) ? true : ALARM.includes(type) ? !anonymous && role !== 'operator' : false;
    expect(canRunCommand(role, anonymous, type)).toBe(expected);
  });

  it('knows every command of the protocol', () => {
    expect([...READ, ...ALARM].sort()).toEqual([...CLIENT_TYPES].sort());
  });
});
