import { MAX_ZONES, SCALAR_METRICS } from '@lm/protocol';

/** Metrics a trend can show: the scalars, and each barrel zone as `zone_1` (feed) .. `zone_16`. */
export const HISTORY_METRICS: readonly string[] = [...SCALAR_METRICS, ...Array.from({ length: MAX_ZONES }, (_, i) => `zone_${i + 1}`)];

/** The SQL expression of a metric; only ever built from the closed list above (no user text reaches SQL). */
export function metricExpression(metric: string): string {
  if ((SCALAR_METRICS as readonly string[]).includes(metric)) return metric;
  const zone = /^zone_([0-9]{1,2})$/.exec(metric);
  const n = zone ? Number(zone[1]) : 0;
  if (n >= 1 && n <= MAX_ZONES) return `body_temperatures[${n}]`;
  throw new Error(`unknown metric ${metric}`);
}
