import { describe, expect, it } from '@jest/globals';
import { ALARM_STATES, type AlarmState } from '@lm/protocol';
import { ALARM_EVENTS, type AlarmCondition, type AlarmEventType, transition } from './alarm-state-machine';

const c = (state: AlarmState, active = true, acknowledged = false): AlarmCondition => ({ state, active, acknowledged });

describe('alarm state machine', () => {
  // Every (state, event) pair has one expected outcome; the table is the specification.
  type Expect = ['changed', AlarmCondition, string] | ['unchanged', string] | ['rejected', string];
  const cases: [AlarmCondition, AlarmEventType, Expect][] = [
    // normal: only raise
    [c('normal', false, true), 'raise', ['changed', c('unacknowledged', true, false), 'raise']],
    [c('normal', false, true), 'activate', ['rejected', 'alarm is closed: a re-occurrence is a new alarm']],
    [c('normal', false, true), 'clear', ['unchanged', 'already clear']],
    [c('normal', false, true), 'acknowledge', ['unchanged', 'already acknowledged']],
    [c('normal', false, false), 'acknowledge', ['rejected', 'alarm is closed (normal)']],
    [c('normal', false, true), 'shelve', ['rejected', 'alarm is closed (normal)']],
    [c('normal', false, true), 'unshelve', ['unchanged', 'not shelved']],
    [c('normal', false, true), 'shelve_expired', ['unchanged', 'not shelved']],
    [c('normal', false, true), 'suppress', ['unchanged', 'alarm is closed (normal)']],
    [c('normal', false, true), 'unsuppress', ['unchanged', 'not suppressed']],
    [c('normal', false, true), 'remove_from_service', ['unchanged', 'alarm is closed (normal)']],
    // unacknowledged
    [c('unacknowledged'), 'raise', ['rejected', 'alarm is already unacknowledged']],
    [c('unacknowledged'), 'activate', ['unchanged', 'already active']],
    [c('unacknowledged'), 'clear', ['changed', c('rtn_unacknowledged', false, false), 'clear']],
    [c('unacknowledged'), 'acknowledge', ['changed', c('acknowledged', true, true), 'acknowledge']],
    [c('unacknowledged'), 'shelve', ['changed', c('shelved', true, false), 'shelve']],
    [c('unacknowledged'), 'unshelve', ['unchanged', 'not shelved']],
    [c('unacknowledged'), 'shelve_expired', ['unchanged', 'not shelved']],
    [c('unacknowledged'), 'suppress', ['changed', c('suppressed', true, false), 'suppress']],
    [c('unacknowledged'), 'unsuppress', ['unchanged', 'not suppressed']],
    [c('unacknowledged'), 'remove_from_service', ['changed', c('out_of_service', true, false), 'remove_from_service']],
    // acknowledged
    [c('acknowledged', true, true), 'raise', ['rejected', 'alarm is already acknowledged']],
    [c('acknowledged', true, true), 'activate', ['unchanged', 'already active']],
    [c('acknowledged', true, true), 'clear', ['changed', c('normal', false, true), 'clear']],
    [c('acknowledged', true, true), 'acknowledge', ['unchanged', 'already acknowledged']],
    [c('acknowledged', true, true), 'shelve', ['changed', c('shelved', true, true), 'shelve']],
    [c('acknowledged', true, true), 'unshelve', ['unchanged', 'not shelved']],
    [c('acknowledged', true, true), 'shelve_expired', ['unchanged', 'not shelved']],
    [c('acknowledged', true, true), 'suppress', ['changed', c('suppressed', true, true), 'suppress']],
    [c('acknowledged', true, true), 'unsuppress', ['unchanged', 'not suppressed']],
    [c('acknowledged', true, true), 'remove_from_service', ['changed', c('out_of_service', true, true), 'remove_from_service']],
    // returned to normal, unacknowledged
    [c('rtn_unacknowledged', false), 'raise', ['rejected', 'alarm is already rtn_unacknowledged']],
    [c('rtn_unacknowledged', false), 'activate', ['changed', c('unacknowledged', true, false), 'reactivate']],
    [c('rtn_unacknowledged', false), 'clear', ['unchanged', 'already clear']],
    [c('rtn_unacknowledged', false), 'acknowledge', ['changed', c('normal', false, true), 'acknowledge']],
    [c('rtn_unacknowledged', false), 'shelve', ['changed', c('shelved', false, false), 'shelve']],
    [c('rtn_unacknowledged', false), 'unshelve', ['unchanged', 'not shelved']],
    [c('rtn_unacknowledged', false), 'shelve_expired', ['unchanged', 'not shelved']],
    [c('rtn_unacknowledged', false), 'suppress', ['changed', c('suppressed', false, false), 'suppress']],
    [c('rtn_unacknowledged', false), 'unsuppress', ['unchanged', 'not suppressed']],
    [c('rtn_unacknowledged', false), 'remove_from_service', ['changed', c('out_of_service', false, false), 'remove_from_service']],
    // shelved: hidden, but the condition is tracked; on expiry back to its true state
    [c('shelved', true, true), 'raise', ['rejected', 'alarm is already shelved']],
    [c('shelved', false, false), 'activate', ['changed', c('shelved', true, false), 'reactivate']],
    [c('shelved', true, false), 'activate', ['unchanged', 'already active']],
    [c('shelved', true, false), 'clear', ['changed', c('shelved', false, false), 'clear']],
    [c('shelved', false, false), 'clear', ['unchanged', 'already clear']],
    [c('shelved', true, false), 'acknowledge', ['rejected', 'alarm is shelved: unshelve it first']],
    [c('shelved', true, true), 'acknowledge', ['unchanged', 'already acknowledged']],
    [c('shelved', true, false), 'shelve', ['unchanged', 'already shelved']],
    [c('shelved', true, true), 'unshelve', ['changed', c('unacknowledged', true, false), 'unshelve']],
    [c('shelved', false, true), 'unshelve', ['changed', c('normal', false, true), 'unshelve']],
    [c('shelved', true, true), 'shelve_expired', ['changed', c('unacknowledged', true, false), 'shelve_expired']],
    [c('shelved', false, false), 'shelve_expired', ['changed', c('normal', false, false), 'shelve_expired']],
    [c('shelved', true, false), 'suppress', ['changed', c('suppressed', true, false), 'suppress']],
    [c('shelved', true, false), 'unsuppress', ['unchanged', 'not suppressed']],
    [c('shelved', true, false), 'remove_from_service', ['changed', c('out_of_service', true, false), 'remove_from_service']],
    // suppressed by design
    [c('suppressed'), 'raise', ['rejected', 'alarm is already suppressed']],
    [c('suppressed', false), 'activate', ['changed', c('suppressed', true, false), 'reactivate']],
    [c('suppressed'), 'activate', ['unchanged', 'already active']],
    [c('suppressed'), 'clear', ['changed', c('suppressed', false, false), 'clear']],
    [c('suppressed'), 'acknowledge', ['rejected', 'alarm is suppressed while its line is stopped']],
    [c('suppressed'), 'shelve', ['rejected', 'alarm is suppressed while its line is stopped']],
    [c('suppressed'), 'unshelve', ['unchanged', 'not shelved']],
    [c('suppressed'), 'shelve_expired', ['unchanged', 'not shelved']],
    [c('suppressed'), 'suppress', ['unchanged', 'already suppressed']],
    [c('suppressed'), 'unsuppress', ['changed', c('normal', true, false), 'unsuppress']],
    [c('suppressed'), 'remove_from_service', ['changed', c('out_of_service', true, false), 'remove_from_service']],
    // out of service: closed for good
    [c('out_of_service'), 'raise', ['rejected', 'alarm is already out_of_service']],
    [c('out_of_service'), 'activate', ['rejected', 'alarm is closed: a re-occurrence is a new alarm']],
    [c('out_of_service'), 'clear', ['unchanged', 'already clear']],
    [c('out_of_service'), 'acknowledge', ['rejected', 'alarm is closed (out_of_service)']],
    [c('out_of_service'), 'shelve', ['rejected', 'alarm is closed (out_of_service)']],
    [c('out_of_service'), 'unshelve', ['unchanged', 'not shelved']],
    [c('out_of_service'), 'shelve_expired', ['unchanged', 'not shelved']],
    [c('out_of_service'), 'suppress', ['unchanged', 'alarm is closed (out_of_service)']],
    [c('out_of_service'), 'unsuppress', ['unchanged', 'not suppressed']],
    [c('out_of_service'), 'remove_from_service', ['unchanged', 'alarm is closed (out_of_service)']],
  ];

  it.each(cases)('%o + %s', (from, event, expected) => {
    const r = transition(from, event);
    if (expected[0] === 'changed') expect(r).toEqual({ kind: 'changed', next: expected[1], action: expected[2] });
    else expect(r).toEqual({ kind: expected[0], reason: expected[1] });
  });

  it('covers every state with every event', () => {
    for (const state of ALARM_STATES) {
      const events = new Set(cases.filter(([a]) => a.state === state).map(([, e]) => e));
      expect([state, [...events].sort()]).toEqual([state, [...ALARM_EVENTS].sort()]);
    }
  });

  it('walks the ISA-18.2 happy paths', () => {
    const run = (start: AlarmCondition, events: AlarmEventType[]): AlarmState[] => {
      const states: AlarmState[] = [];
      let a = start;
      for (const e of events) {
        const r = transition(a, e);
        if (r.kind === 'changed') a = r.next;
        states.push(a.state);
      }
      return states;
    };
    expect(run(c('normal', false), ['raise', 'acknowledge', 'clear'])).toEqual(['unacknowledged', 'acknowledged', 'normal']);
    expect(run(c('normal', false), ['raise', 'clear', 'acknowledge'])).toEqual(['unacknowledged', 'rtn_unacknowledged', 'normal']);
    expect(run(c('normal', false), ['raise', 'clear', 'activate', 'acknowledge', 'acknowledge'])).toEqual([
      'unacknowledged',
      'rtn_unacknowledged',
      'unacknowledged',
      'acknowledged',
      'acknowledged',
    ]);
  });
});
