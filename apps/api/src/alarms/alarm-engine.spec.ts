import { describe, expect, it } from '@jest/globals';
import type { TelemetryReading } from '@lm/protocol';
import { AlarmEngine, type AlarmRule } from './alarm-engine';

const T0 = Date.parse('2026-11-24T03:00:00Z');

const rule = (over: Partial<AlarmRule> = {}): AlarmRule => ({
  lineId: '1',
  metric: 'diameter',
  kind: 'high',
  limit: 20.4,
  severity: 'medium',
  deadband: 0,
  onDelayS: 0,
  offDelayS: 0,
  enabled: true,
  commentRequired: false,
  ...over,
});

const reading = (atS: number, values: Partial<TelemetryReading>): TelemetryReading => ({
  time: new Date(T0 + atS * 1000),
  body_temperatures: null,
  diameter: null,
  line_speed: null,
  melt_pressure: null,
  screw_speed: null,
  msg_id: null,
  ...values,
});

/** Feeds [seconds, diameter] pairs and returns the changes as [seconds, change]. */
function feed(engine: AlarmEngine, series: [number, number][]): [number, string][] {
  return series.flatMap(([s, d]) => engine.evaluate('1', reading(s, { diameter: d }), T0 + s * 1000).map((c) => [s, c.change] as [number, string]));
}

describe(AlarmEngine.name, () => {
  it('raises on the first reading beyond a high limit and clears on the first inside', () => {
    const e = new AlarmEngine();
    e.setRules([rule()]);
    expect(feed(e, [[0, 20.3], [1, 20.41], [2, 20.5], [3, 20.4], [4, 20.3]])).toEqual([[1, 'activate'], [3, 'clear']]);
  });

  it('reports the value and the measurement time of the change', () => {
    const e = new AlarmEngine();
    e.setRules([rule()]);
    const [c] = e.evaluate('1', reading(7, { diameter: 20.9 }), T0);
    expect(c).toMatchObject({ change: 'activate', value: 20.9, at: new Date(T0 + 7000) });
    expect(c.rule.kind).toBe('high');
  });

  it('deadband: clears only once the value is back inside by the deadband', () => {
    const e = new AlarmEngine();
    e.setRules([rule({ deadband: 0.2 })]);
    expect(feed(e, [[0, 20.5], [1, 20.35], [2, 20.21], [3, 20.5], [4, 20.2]])).toEqual([[0, 'activate'], [4, 'clear']]);
  });

  it('deadband on a low limit works upwards', () => {
    const e = new AlarmEngine();
    e.setRules([rule({ kind: 'low', limit: 19.6, deadband: 0.2 })]);
    expect(feed(e, [[0, 19.7], [1, 19.5], [2, 19.7], [3, 19.8]])).toEqual([[1, 'activate'], [3, 'clear']]);
  });

  it('on-delay: raises only when the value stays beyond the limit that long; a dip inside restarts it', () => {
    const e = new AlarmEngine();
    e.setRules([rule({ onDelayS: 5 })]);
    expect(feed(e, [[0, 21], [3, 21], [4, 20], [5, 21], [9, 21], [10, 21]])).toEqual([[10, 'activate']]);
  });

  it('off-delay: clears only when the value stays inside that long; a return beyond restarts it', () => {
    const e = new AlarmEngine();
    e.setRules([rule({ offDelayS: 3 })]);
    expect(feed(e, [[0, 21], [1, 20], [3, 21], [4, 20], [6, 20], [7, 20]])).toEqual([[0, 'activate'], [7, 'clear']]);
  });

  it('high and high-high are separate conditions; zones read body_temperatures by number', () => {
    const e = new AlarmEngine();
    e.setRules([
      rule({ metric: 'zone_2', limit: 210 }),
      rule({ metric: 'zone_2', kind: 'high_high', limit: 225, severity: 'critical' }),
    ]);
    const at = (s: number, z2: number) => e.evaluate('1', reading(s, { body_temperatures: [180, z2, 230] }), 0).map((c) => `${c.rule.kind}:${c.change}`);
    expect(at(0, 200)).toEqual([]);
    expect(at(1, 215)).toEqual(['high:activate']);
    expect(at(2, 230)).toEqual(['high_high:activate']);
    expect(at(3, 205)).toEqual(['high:clear', 'high_high:clear']);
  });

  it('ignores metrics a reading does not carry, and disabled rules', () => {
    const e = new AlarmEngine();
    e.setRules([rule(), rule({ metric: 'melt_pressure', limit: 1, enabled: false })]);
    expect(e.evaluate('1', reading(0, { melt_pressure: 300 }), 0)).toEqual([]);
  });

  it('stale data: raises once a line heard from is silent for the limit (clock time), clears when data comes', () => {
    const e = new AlarmEngine();
    e.setRules([rule({ metric: 'data', kind: 'stale', limit: 10, severity: 'high' }), rule({ lineId: '2', metric: 'data', kind: 'stale', limit: 10 })]);
    e.evaluate('1', reading(0, { diameter: 20 }), T0);
    expect(e.checkStale(T0 + 9_999)).toEqual([]);
    const raised = e.checkStale(T0 + 10_000);
    // Line 2 was never heard from since start: not judged.
    expect(raised.map((c) => [c.rule.lineId, c.change, c.value])).toEqual([['1', 'activate', 10]]);
    expect(e.checkStale(T0 + 60_000)).toEqual([]);
    const cleared = e.evaluate('1', reading(61, { diameter: 20 }), T0 + 61_000);
    expect(cleared.map((c) => [c.rule.kind, c.change])).toEqual([['stale', 'clear']]);
  });

  it('suppression: a stopped line evaluates no process rules and forgets its conditions; stale still runs', () => {
    const e = new AlarmEngine();
    e.setRules([rule(), rule({ metric: 'data', kind: 'stale', limit: 5 })]);
    expect(feed(e, [[0, 21]])).toEqual([[0, 'activate']]);
    e.suppress('1');
    expect(e.isActive('1', 'diameter', 'high')).toBe(false);
    expect(feed(e, [[1, 22], [2, 20]])).toEqual([]);
    expect(e.checkStale(T0 + 8_000).map((c) => c.rule.kind)).toEqual(['stale']);
    e.unsuppress('1');
    // Still beyond the limit when the line runs again: a new activation (and the data ends the stale one).
    const changes = e.evaluate('1', reading(9, { diameter: 21 }), T0 + 9_000).map((c) => `${c.rule.kind}:${c.change}`);
    expect(changes).toEqual(['high:activate', 'stale:clear']);
  });

  it('keeps a condition across a rule update and drops it when the rule goes', () => {
    const e = new AlarmEngine();
    e.setRules([rule()]);
    feed(e, [[0, 21]]);
    e.setRules([rule({ limit: 20.6 })]);
    expect(e.isActive('1', 'diameter', 'high')).toBe(true);
    expect(feed(e, [[1, 20.5]])).toEqual([[1, 'clear']]);
    feed(e, [[2, 21]]);
    e.setRules([]);
    expect(e.isActive('1', 'diameter', 'high')).toBe(false);
  });
});
