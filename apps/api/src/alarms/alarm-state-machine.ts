import type { AlarmState } from '@lm/protocol';

/**
 * The ISA-18.2 alarm state machine, the only place that decides transitions. Pure: (alarm, event) ->
 * next alarm + what to record. Persistence, clocks and people live in AlarmsService.
 */

/** What the machine looks at: the state plus the two facts behind it. */
export interface AlarmCondition {
  state: AlarmState;
  /** The process condition is beyond its limit now. */
  active: boolean;
  /** A person has acknowledged this alarm. */
  acknowledged: boolean;
}

export const ALARM_EVENTS = [
  'raise', // the engine: a new alarm (from normal)
  'activate', // the engine: the condition is back beyond its limit on an open alarm
  'clear', // the engine: the condition returned inside its limit (deadband, off-delay)
  'acknowledge', // a person
  'shelve', // a person (engineer/admin), with reason and expiry
  'unshelve', // a person
  'shelve_expired', // the clock
  'suppress', // its line stopped
  'unsuppress', // its line runs again
  'remove_from_service', // its rule was disabled or removed
] as const;
export type AlarmEventType = (typeof ALARM_EVENTS)[number];

/** The name written to alarm_events.action: the event, except re-activation which reads better as such. */
export type AlarmAction = Exclude<AlarmEventType, 'activate'> | 'reactivate';

export type TransitionResult =
  | { kind: 'changed'; next: AlarmCondition; action: AlarmAction }
  /** Nothing to do, and a truthful reason (idempotent commands: "already acknowledged"). */
  | { kind: 'unchanged'; reason: string }
  /** The event makes no sense in this state (a person gets a 409). */
  | { kind: 'rejected'; reason: string };

const changed = (next: AlarmCondition, action: AlarmAction): TransitionResult => ({ kind: 'changed', next, action });
const unchanged = (reason: string): TransitionResult => ({ kind: 'unchanged', reason });
const rejected = (reason: string): TransitionResult => ({ kind: 'rejected', reason });

export const isClosed = (s: AlarmState): boolean => s === 'normal' || s === 'out_of_service';

/** The state an alarm returns to when shelving ends: unacknowledged if still active, else closed. */
function afterShelving(a: AlarmCondition): AlarmCondition {
  return a.active ? { state: 'unacknowledged', active: true, acknowledged: false } : { ...a, state: 'normal' };
}

export function transition(a: AlarmCondition, event: AlarmEventType): TransitionResult {
  const s = a.state;
  switch (event) {
    case 'raise':
      return s === 'normal' ? changed({ state: 'unacknowledged', active: true, acknowledged: false }, 'raise') : rejected(`alarm is already ${s}`);

    case 'activate':
      if (s === 'rtn_unacknowledged') return changed({ state: 'unacknowledged', active: true, acknowledged: false }, 'reactivate');
      // Shelved or suppressed alarms stay hidden; the machine only notes that the condition is back.
      if ((s === 'shelved' || s === 'suppressed') && !a.active) return changed({ ...a, active: true }, 'reactivate');
      if (isClosed(s)) return rejected('alarm is closed: a re-occurrence is a new alarm');
      return unchanged('already active');

    case 'clear':
      if (s === 'unacknowledged') return changed({ state: 'rtn_unacknowledged', active: false, acknowledged: false }, 'clear');
      if (s === 'acknowledged') return changed({ state: 'normal', active: false, acknowledged: true }, 'clear');
      if ((s === 'shelved' || s === 'suppressed') && a.active) return changed({ ...a, active: false }, 'clear');
      return unchanged('already clear');

    case 'acknowledge':
      if (a.acknowledged) return unchanged('already acknowledged');
      if (s === 'unacknowledged') return changed({ state: 'acknowledged', active: true, acknowledged: true }, 'acknowledge');
      if (s === 'rtn_unacknowledged') return changed({ state: 'normal', active: false, acknowledged: true }, 'acknowledge');
      if (s === 'shelved') return rejected('alarm is shelved: unshelve it first');
      if (s === 'suppressed') return rejected('alarm is suppressed while its line is stopped');
      return rejected(`alarm is closed (${s})`);

    case 'shelve':
      if (s === 'unacknowledged' || s === 'acknowledged' || s === 'rtn_unacknowledged') return changed({ ...a, state: 'shelved' }, 'shelve');
      if (s === 'shelved') return unchanged('already shelved');
      if (s === 'suppressed') return rejected('alarm is suppressed while its line is stopped');
      return rejected(`alarm is closed (${s})`);

    case 'unshelve':
    case 'shelve_expired':
      return s === 'shelved' ? changed(afterShelving(a), event) : unchanged('not shelved');

    case 'suppress':
      if (isClosed(s)) return unchanged(`alarm is closed (${s})`);
      return s === 'suppressed' ? unchanged('already suppressed') : changed({ ...a, state: 'suppressed' }, 'suppress');

    case 'unsuppress':
      // Suppression closes the alarm: if the condition is still there when the line runs again, the
      // engine raises a new alarm after its on-delay.
      return s === 'suppressed' ? changed({ ...a, state: 'normal' }, 'unsuppress') : unchanged('not suppressed');

    case 'remove_from_service':
      return isClosed(s) ? unchanged(`alarm is closed (${s})`) : changed({ ...a, state: 'out_of_service' }, 'remove_from_service');
  }
}
