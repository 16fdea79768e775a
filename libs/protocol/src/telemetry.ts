/**
 * Telemetry as devices publish it on `plant/lines/{id}/telemetry` (DESIGN.md section 5), and its
 * validation. Framework free and allocation-light: it runs once per MQTT message.
 */

/** A reading as a device sends it: all metrics optional, device units (°C, mm, m/min, bar, rpm). */
export interface TelemetryPayload {
  /** Measurement time: ISO-8601 string or epoch milliseconds. Defaults to the time of receipt. */
  timestamp?: string | number;
  /** Barrel zone temperatures in °C, zone 1 (feed) first. */
  body_temperatures?: number[];
  /** Product outer diameter in mm. */
  diameter?: number;
  /** Haul-off speed in m/min. */
  line_speed?: number;
  /** Melt pressure before the die in bar. */
  melt_pressure?: number;
  /** Screw speed in rpm. */
  screw_speed?: number;
  /** Device-side message id, for tracing and de-duplication. */
  msg_id?: string | number;
}

/** Scalar metrics, in wire order. */
export const SCALAR_METRICS = ['diameter', 'line_speed', 'melt_pressure', 'screw_speed'] as const;
export type ScalarMetric = (typeof SCALAR_METRICS)[number];

/** Physically possible ranges: anything outside is a broken sensor or a broken payload, not a process value. */
export const METRIC_RANGES: Record<ScalarMetric | 'body_temperature', { min: number; max: number; unit: string }> = {
  body_temperature: { min: -50, max: 600, unit: '°C' },
  diameter: { min: 0, max: 2000, unit: 'mm' },
  line_speed: { min: 0, max: 2000, unit: 'm/min' },
  melt_pressure: { min: 0, max: 2500, unit: 'bar' },
  screw_speed: { min: 0, max: 1000, unit: 'rpm' },
};

export const MAX_ZONES = 16;
/** How far in the future a device clock may be before its readings are refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** Oldest reading accepted (backfill included). */
export const MAX_READING_AGE_MS = 366 * 24 * 3600_000;
export const MAX_BACKFILL_READINGS = 10_000;

/** A validated reading, normalised. */
export interface TelemetryReading {
  time: Date;
  body_temperatures: number[] | null;
  diameter: number | null;
  line_speed: number | null;
  melt_pressure: number | null;
  screw_speed: number | null;
  msg_id: string | null;
}

export interface ValidationIssue {
  /** Path of the offending field, e.g. `["body_temperatures", 2]`. */
  loc: (string | number)[];
  msg: string;
}

export type TelemetryParseResult =
  | { ok: true; readings: TelemetryReading[]; backfill: boolean }
  | { ok: false; issues: ValidationIssue[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// The location of an issue is built only when there is one (`base` + `key` [+ `index`]): this runs for
// every field of every message, and valid input should allocate nothing for it.
function locOf(base: (string | number)[], key: string, index?: number): (string | number)[] {
  return index === undefined ? [...base, key] : [...base, key, index];
}

function checkNumber(
  v: unknown,
  range: { min: number; max: number; unit: string },
  base: (string | number)[],
  key: string,
  index: number | undefined,
  issues: ValidationIssue[],
): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    issues.push({ loc: locOf(base, key, index), msg: 'must be a finite number' });
    return null;
  }
  if (v < range.min || v > range.max) {
    issues.push({ loc: locOf(base, key, index), msg: `out of range ${range.min}..${range.max} ${range.unit}` });
    return null;
  }
  return v;
}

/** Epoch milliseconds of a valid timestamp (issue at `base`.timestamp otherwise). */
function parseTime(v: unknown, base: (string | number)[], now: number, issues: ValidationIssue[]): number | null {
  let ms: number;
  if (typeof v === 'number' && Number.isFinite(v)) ms = v;
  else if (typeof v === 'string' && v.length <= 40) ms = Date.parse(v);
  else {
    issues.push({ loc: locOf(base, 'timestamp'), msg: 'must be an ISO-8601 string or epoch milliseconds' });
    return null;
  }
  if (Number.isNaN(ms)) {
    issues.push({ loc: locOf(base, 'timestamp'), msg: 'is not a valid ISO-8601 timestamp' });
    return null;
  }
  if (ms > now + MAX_CLOCK_SKEW_MS) {
    issues.push({ loc: locOf(base, 'timestamp'), msg: 'is in the future' });
    return null;
  }
  if (ms < now - MAX_READING_AGE_MS) {
    issues.push({ loc: locOf(base, 'timestamp'), msg: 'is too old' });
    return null;
  }
  return ms;
}

/**
 * A device's message id: a string of at most 128 characters or a safe integer, kept as text (absent:
 * null). No NUL: PostgreSQL text cannot hold it, and the batch would fail at every retry.
 */
function checkMsgId(id: unknown, base: (string | number)[], issues: ValidationIssue[]): string | null {
  if (id === undefined || id === null) return null;
  if ((typeof id === 'string' && id.length <= 128 && !id.includes('\u0000')) || (typeof id === 'number' && Number.isSafeInteger(id))) return String(id);
  issues.push({ loc: locOf(base, 'msg_id'), msg: 'must be a string (<= 128 chars, no NUL) or an integer' });
  return null;
}

/** Validates one reading object (bare form, or the `values` of the `{ts, values}` form). */
function parseReading(
  obj: Record<string, unknown>,
  time: unknown,
  base: (string | number)[],
  now: number,
  issues: ValidationIssue[],
): TelemetryReading | null {
  const before = issues.length;
  const ms = time !== undefined && time !== null ? parseTime(time, base, now, issues) : null;
  const reading: TelemetryReading = {
    time: new Date(ms ?? now),
    body_temperatures: null,
    diameter: null,
    line_speed: null,
    melt_pressure: null,
    screw_speed: null,
    msg_id: null,
  };
  const temps = obj.body_temperatures;
  if (temps !== undefined && temps !== null) {
    if (!Array.isArray(temps) || temps.length === 0 || temps.length > MAX_ZONES) {
      issues.push({ loc: [...base, 'body_temperatures'], msg: `must be an array of 1..${MAX_ZONES} numbers` });
    } else {
      const out = new Array<number>(temps.length);
      for (let i = 0; i < temps.length; i++) {
        const n = checkNumber(temps[i], METRIC_RANGES.body_temperature, base, 'body_temperatures', i, issues);
        if (n !== null) out[i] = n;
      }
      reading.body_temperatures = out;
    }
  }
  let any = reading.body_temperatures !== null;
  for (const m of SCALAR_METRICS) {
    const v = obj[m];
    if (v === undefined || v === null) continue;
    reading[m] = checkNumber(v, METRIC_RANGES[m], base, m, undefined, issues);
    any = true;
  }
  reading.msg_id = checkMsgId(obj.msg_id, base, issues);
  if (!any && issues.length === before) issues.push({ loc: base, msg: 'has no metric' });
  return issues.length === before ? reading : null;
}

/**
 * Parses a decoded MQTT telemetry payload in any of its three forms:
 * a bare reading, `{ts, values}`, or an array of readings (backfill, stored with their own timestamps).
 */
export function parseTelemetry(payload: unknown, now: number = Date.now()): TelemetryParseResult {
  const issues: ValidationIssue[] = [];
  if (Array.isArray(payload)) {
    if (payload.length === 0 || payload.length > MAX_BACKFILL_READINGS) {
      return { ok: false, issues: [{ loc: [], msg: `backfill must hold 1..${MAX_BACKFILL_READINGS} readings` }] };
    }
    const readings: TelemetryReading[] = [];
    payload.forEach((item, i) => {
      if (!isObject(item)) {
        issues.push({ loc: [i], msg: 'must be an object' });
        return;
      }
      const r = parseOne(item, [i], now, issues);
      if (r) readings.push(r);
    });
    return issues.length ? { ok: false, issues } : { ok: true, readings, backfill: true };
  }
  if (!isObject(payload)) return { ok: false, issues: [{ loc: [], msg: 'payload must be a JSON object or array' }] };
  const r = parseOne(payload, [], now, issues);
  return r ? { ok: true, readings: [r], backfill: false } : { ok: false, issues };
}

function parseOne(
  obj: Record<string, unknown>,
  base: (string | number)[],
  now: number,
  issues: ValidationIssue[],
): TelemetryReading | null {
  if (obj.values !== undefined) {
    if (!isObject(obj.values)) {
      issues.push({ loc: [...base, 'values'], msg: 'must be an object' });
      return null;
    }
    const r = parseReading(obj.values, obj.ts ?? obj.timestamp, [...base, 'values'], now, issues);
    if (r && r.msg_id === null) {
      // The envelope's msg_id gets the same check as a bare reading's (it used to be stringified unchecked).
      const before = issues.length;
      r.msg_id = checkMsgId(obj.msg_id, base, issues);
      if (issues.length > before) return null;
    }
    return r;
  }
  return parseReading(obj, obj.timestamp ?? obj.ts, base, now, issues);
}

/** One line for logs and dead letters: `diameter: out of range 0..2000 mm; body_temperatures.2: ...`. */
export function formatIssues(issues: ValidationIssue[]): string {
  return issues
    .map((i) => `${i.loc.length ? i.loc.join('.') : 'payload'}: ${i.msg}`)
    .join('; ');
}

/** Line state as published on `plant/lines/{id}/status` (retained; the device's will says `offline`). */
export const LINE_STATES = ['running', 'stopped', 'fault', 'offline'] as const;
export type LineState = (typeof LINE_STATES)[number];
export const isLineState = (v: unknown): v is LineState =>
  typeof v === 'string' && (LINE_STATES as readonly string[]).includes(v);
