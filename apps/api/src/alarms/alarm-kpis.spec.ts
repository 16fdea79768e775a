import { describe, expect, it } from '@jest/globals';
import type { AlarmLimitKind, AlarmSeverity } from '@lm/protocol';
import { type Activation, type OpenAlarm, computeKpis, parseWindow } from './alarm-kpis';

const T0 = Date.parse('2026-11-24T00:00:00Z');
const H = 3600_000;

// A recorded hour: five sources, a flood in the first 10 minutes, two chattering sources.
const sources: Record<string, [string, string, AlarmLimitKind, AlarmSeverity]> = {
  A: ['1', 'diameter', 'high', 'medium'],
  B: ['2', 'zone_3', 'high_high', 'critical'],
  C: ['3', 'melt_pressure', 'high', 'high'],
  D: ['4', 'line_speed', 'low', 'low'],
  E: ['5', 'data', 'stale', 'high'],
};
const recorded: [string, number][] = [
  ['A', -1], // before the window
  ['A', 10], ['A', 30], ['A', 50], ['B', 100], ['C', 120], ['C', 140], ['B', 200], ['B', 300], ['A', 400], ['C', 500], ['D', 590], ['E', 599],
  ['A', 700], ['B', 800],
  ['C', 1900], ['C', 1930], ['C', 1950],
  ['D', 3599],
  ['D', 3600], // at the end: outside [from, to)
];
const activations: Activation[] = recorded.map(([s, sec]) => {
  const [lineId, metric, kind, severity] = sources[s];
  return { at: T0 + sec * 1000, lineId, metric, kind, severity };
});
const open = (id: string, state: OpenAlarm['state'], ageH: number, active = true): OpenAlarm => ({
  id, lineId: id, metric: 'diameter', kind: 'high', state, active, raisedAt: T0 + H - ageH * H,
});
const openAlarms = [
  open('1', 'unacknowledged', 1),
  open('2', 'acknowledged', 25),
  open('3', 'rtn_unacknowledged', 30, false),
  open('4', 'shelved', 30),
  open('5', 'suppressed', 48),
];

describe(computeKpis.name, () => {
  const k = computeKpis(T0, T0 + H, activations, openAlarms);

  it('counts annunciations per 10 minutes: average and peak', () => {
    expect(k.alarms_total).toBe(18);
    expect(k.alarms_per_10min).toEqual({ average: 3, peak: 12 });
  });

  it('finds the flood (more than 10 in a 10-minute interval)', () => {
    expect(k.flood).toEqual({ intervals: 1, seconds: 600, percent_of_window: 16.7 });
  });

  it('finds chattering sources (3 or more activations within a minute)', () => {
    expect(k.chattering).toEqual({
      count: 2,
      alarms: [
        { production_line_id: '1', metric: 'diameter', limit_kind: 'high', max_per_minute: 3 },
        { production_line_id: '3', metric: 'melt_pressure', limit_kind: 'high', max_per_minute: 3 },
      ],
    });
  });

  it('ranks the bad actors', () => {
    expect(k.top_bad_actors.map((b) => [b.production_line_id, b.count, b.percent])).toEqual([
      ['3', 6, 33.3],
      ['1', 5, 27.8],
      ['2', 4, 22.2],
      ['4', 2, 11.1],
      ['5', 1, 5.6],
    ]);
  });

  it('gives the priority mix', () => {
    expect(k.priority_mix).toEqual({
      low: { count: 2, percent: 11.1 },
      medium: { count: 5, percent: 27.8 },
      high: { count: 7, percent: 38.9 },
      critical: { count: 4, percent: 22.2 },
    });
  });

  it('counts standing, shelved, suppressed and stale (active over 24 h, oldest first, suppressed excluded)', () => {
    expect([k.standing, k.shelved, k.suppressed]).toEqual([3, 1, 1]);
    expect(k.stale.count).toBe(2);
    expect(k.stale.alarms.map((a) => a.id)).toEqual(['4', '2']);
  });

  it('keeps at most 10 bad actors', () => {
    const many: Activation[] = Array.from({ length: 12 }, (_, i) => ({ at: T0 + i * 1000, lineId: String(i), metric: 'diameter', kind: 'high', severity: 'low' }));
    expect(computeKpis(T0, T0 + H, many, []).top_bad_actors).toHaveLength(10);
  });

  it('is all zeros for an empty window', () => {
    const e = computeKpis(T0, T0 + 5 * 60_000, [], []);
    expect(e).toMatchObject({ alarms_total: 0, alarms_per_10min: { average: 0, peak: 0 }, flood: { intervals: 0, seconds: 0, percent_of_window: 0 }, standing: 0 });
  });
});

describe(parseWindow.name, () => {
  it.each([
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['0h', null],
    ['91d', null],
    ['1w', null],
    ['', null],
  ])('%s -> %s', (w, ms) => expect(parseWindow(w)).toBe(ms));
});
