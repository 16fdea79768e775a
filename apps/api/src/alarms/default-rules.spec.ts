import { describe, expect, it } from '@jest/globals';
import type { TelemetryReading } from '@lm/protocol';
import { type FaultKind, LineModel, lineProfile } from '../../../simulator/src/line-model';
import { AlarmEngine } from './alarm-engine';
import { defaultRules, simulatorRecipe } from './default-rules';

const T0 = Date.parse('2026-11-24T00:00:00Z');

/** Runs the simulator's line model through the engine with the default rules; returns the raised sources. */
function run(lineId: string, seconds: number, opts: { faults?: FaultKind[]; excursions?: boolean } = {}): Set<string> {
  const engine = new AlarmEngine();
  engine.setRules(defaultRules({ id: lineId, diameter_target: null }));
  const model = new LineModel({
    lineId,
    seed: 42,
    faults: opts.faults,
    excursionRates: opts.excursions === false ? { zone: 0, diameter: 0, pressure: 0 } : undefined,
  });
  const raised = new Set<string>();
  for (let i = 0; i <= seconds * 10; i++) {
    const now = T0 + i * 100;
    const e = model.tick(now);
    if (e.kind !== 'telemetry') continue;
    const p = e.payload;
    const reading: TelemetryReading = {
      time: new Date(p.timestamp),
      body_temperatures: p.body_temperatures,
      diameter: p.diameter,
      line_speed: p.line_speed,
      melt_pressure: p.melt_pressure,
      screw_speed: p.screw_speed,
      msg_id: null,
    };
    for (const c of engine.evaluate(lineId, reading, now)) if (c.change === 'activate') raised.add(`${c.rule.metric}/${c.rule.kind}`);
  }
  return raised;
}

describe(defaultRules.name, () => {
  it('mirrors the simulator recipes of lines 1..8', () => {
    for (const id of ['1', '2', '3', '4', '5', '6', '7', '8']) {
      const p = lineProfile(id);
      expect(simulatorRecipe(id)).toEqual({ diameter: p.diameter, lineSpeed: p.lineSpeed, meltPressure: p.meltPressure, zones: p.zoneSetPoints });
    }
    expect(simulatorRecipe('42')).toBeNull();
  });

  it('gives other lines a stale-data rule and diameter limits around their target', () => {
    const rules = defaultRules({ id: 'extra', diameter_target: 110 });
    expect(rules.map((r) => `${r.metric}/${r.kind}:${r.limit}`)).toEqual([
      'data/stale:10',
      'diameter/high:112.2',
      'diameter/low:107.8',
      'diameter/high_high:115.5',
      'diameter/low_low:104.5',
    ]);
    expect(defaultRules({ id: 'bare', diameter_target: null }).map((r) => r.kind)).toEqual(['stale']);
  });

  it.each(['1', '4', '8'])('stays quiet on line %s running normally for 10 minutes (noise and drift only)', (id) => {
    expect([...run(id, 600, { excursions: false })]).toEqual([]);
  });

  it.each<[FaultKind, string]>([
    ['heater', 'high_high'],
    ['pressure', 'melt_pressure/high_high'],
    ['diameter', 'diameter/high_high'],
  ])('raises the high-high alarm for a %s fault', (fault, expected) => {
    const raised = [...run('3', 120, { faults: [fault] })];
    expect(raised.some((s) => s.endsWith(expected))).toBe(true);
  });
});
