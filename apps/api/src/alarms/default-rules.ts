import { STALE_METRIC } from '@lm/protocol';
import type { AlarmRule } from './alarm-engine';

/**
 * Default rules for a line, sized against the simulator's recipes (apps/simulator/src/line-model.ts):
 * process noise stays well inside them, the simulator's excursions (diameter ±3 %, zone +15 °C,
 * pressure +35 % for a few seconds) trip the high/low limits now and then, and its faults (heater
 * +45 °C, blocked screen pack 1.8x pressure, diameter +8 %, silent device) trip the high-high ones.
 */
interface Recipe {
  diameter: number; // mm
  lineSpeed: number; // m/min
  meltPressure: number; // bar
  zones: number[]; // °C set points
}

// Mirrors lineProfile() of the simulator for lines 1..8 (nominal pressure, speed, zone set points).
const SIM = [
  { diameter: 20, lineSpeed: 28, meltPressure: 210, zones: 4 },
  { diameter: 25, lineSpeed: 22, meltPressure: 220, zones: 4 },
  { diameter: 32, lineSpeed: 16, meltPressure: 235, zones: 5 },
  { diameter: 40, lineSpeed: 11.5, meltPressure: 250, zones: 5 },
  { diameter: 50, lineSpeed: 8, meltPressure: 265, zones: 5 },
  { diameter: 63, lineSpeed: 5.5, meltPressure: 280, zones: 6 },
  { diameter: 75, lineSpeed: 4, meltPressure: 295, zones: 6 },
  { diameter: 90, lineSpeed: 2.8, meltPressure: 310, zones: 6 },
];

export function simulatorRecipe(lineId: string): Recipe | null {
  if (!/^[1-8]$/.test(lineId)) return null;
  const i = Number(lineId) - 1;
  const p = SIM[i];
  const offset = ((i % 3) - 1) * 5;
  const zones = Array.from({ length: p.zones }, (_, z) => Math.round((180 + (50 * z) / (p.zones - 1)) / 5) * 5 + offset);
  return { diameter: p.diameter, lineSpeed: p.lineSpeed, meltPressure: p.meltPressure, zones };
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

/** Rules for one line: from the simulator's recipe for lines 1..8, else diameter (when a target is known) and stale data. */
export function defaultRules(line: { id: string; diameter_target: number | null }): AlarmRule[] {
  const recipe = simulatorRecipe(line.id);
  const base = { lineId: line.id, enabled: true, commentRequired: false };
  const rules: AlarmRule[] = [
    // A device silent for 10 s (the simulator publishes at 10 Hz).
    { ...base, metric: STALE_METRIC, kind: 'stale', limit: 10, severity: 'high', deadband: 0, onDelayS: 0, offDelayS: 0 },
  ];
  const d = recipe?.diameter ?? line.diameter_target;
  if (d) {
    const db = r2(d * 0.005);
    rules.push(
      { ...base, metric: 'diameter', kind: 'high', limit: r2(d * 1.02), severity: 'medium', deadband: db, onDelayS: 3, offDelayS: 2 },
      { ...base, metric: 'diameter', kind: 'low', limit: r2(d * 0.98), severity: 'medium', deadband: db, onDelayS: 3, offDelayS: 2 },
      // Out of tolerance: scrap. Critical alarms need a comment on acknowledgement.
      { ...base, metric: 'diameter', kind: 'high_high', limit: r2(d * 1.05), severity: 'critical', deadband: db, onDelayS: 1, offDelayS: 2, commentRequired: true },
      { ...base, metric: 'diameter', kind: 'low_low', limit: r2(d * 0.95), severity: 'critical', deadband: db, onDelayS: 1, offDelayS: 2, commentRequired: true },
    );
  }
  if (!recipe) return rules;
  recipe.zones.forEach((sp, z) => {
    const metric = `zone_${z + 1}` as const;
    rules.push(
      { ...base, metric, kind: 'high', limit: sp + 10, severity: 'medium', deadband: 2, onDelayS: 5, offDelayS: 5 },
      { ...base, metric, kind: 'high_high', limit: sp + 25, severity: 'critical', deadband: 3, onDelayS: 2, offDelayS: 5, commentRequired: true },
      { ...base, metric, kind: 'low', limit: sp - 10, severity: 'low', deadband: 2, onDelayS: 10, offDelayS: 5 },
    );
  });
  const p = recipe.meltPressure;
  rules.push(
    { ...base, metric: 'melt_pressure', kind: 'high', limit: Math.round(p * 1.25), severity: 'high', deadband: 5, onDelayS: 2, offDelayS: 3 },
    { ...base, metric: 'melt_pressure', kind: 'high_high', limit: Math.round(p * 1.5), severity: 'critical', deadband: 10, onDelayS: 0, offDelayS: 3, commentRequired: true },
    // Speed drops while running mean a haul-off problem (a stopped line is suppressed by design).
    { ...base, metric: 'line_speed', kind: 'low', limit: r2(recipe.lineSpeed * 0.8), severity: 'low', deadband: r2(recipe.lineSpeed * 0.02), onDelayS: 10, offDelayS: 5 },
  );
  return rules;
}
