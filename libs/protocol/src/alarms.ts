/**
 * Alarms on the wire (DESIGN.md sections 4 and 7): the record carried by `alarm` and `alarm_update`,
 * its states, severities, limit kinds and metric names. Framework free.
 */

/** ISA-18.2 alarm states as sent on the wire. `normal` and `out_of_service` close an alarm for good. */
export const ALARM_STATES = [
  /** Closed: acknowledged and cleared (or suppression lifted). A re-occurrence is a new alarm. */
  'normal',
  /** Active, nobody has acknowledged it yet. */
  'unacknowledged',
  /** Active, acknowledged by a person. */
  'acknowledged',
  /** The condition cleared before anyone acknowledged it: needs an acknowledgement to close. */
  'rtn_unacknowledged',
  /** Hidden by an engineer with a reason until `shelved_until`; then back to its true state. */
  'shelved',
  /** Hidden by design while its line is stopped. */
  'suppressed',
  /** Closed because its rule was disabled or removed by an engineer. */
  'out_of_service',
] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
export const isAlarmState = (v: unknown): v is AlarmState => typeof v === 'string' && (ALARM_STATES as readonly string[]).includes(v);

/** States in which an alarm is still open (one open alarm per line, metric and limit at most). */
export const OPEN_ALARM_STATES: readonly AlarmState[] = ['unacknowledged', 'acknowledged', 'rtn_unacknowledged', 'shelved', 'suppressed'];

export const ALARM_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlarmSeverity = (typeof ALARM_SEVERITIES)[number];

/** Which side of the limit raises: high/high_high above, low/low_low below; `stale` = line silent for `limit` s. */
export const ALARM_LIMIT_KINDS = ['high_high', 'high', 'low', 'low_low', 'stale'] as const;
export type AlarmLimitKind = (typeof ALARM_LIMIT_KINDS)[number];

/** Scalar metrics alarms watch, `zone_1`..`zone_16` (barrel zones, from `body_temperatures`), and `data` for staleness. */
export const ALARM_SCALAR_METRICS = ['diameter', 'line_speed', 'melt_pressure', 'screw_speed'] as const;
export const STALE_METRIC = 'data';
export type AlarmMetric = (typeof ALARM_SCALAR_METRICS)[number] | `zone_${number}` | typeof STALE_METRIC;
export const isAlarmMetric = (v: unknown): v is AlarmMetric =>
  typeof v === 'string' &&
  ((ALARM_SCALAR_METRICS as readonly string[]).includes(v) || v === STALE_METRIC || /^zone_([1-9]|1[0-6])$/.test(v));

/** The whole alarm, as `alarm` (raised) and `alarm_update` (any later change) carry it. */
export interface AlarmRecord {
  /** Opaque id (a decimal string). */
  id: string;
  production_line_id: string;
  metric: AlarmMetric;
  /** Which limit: high_high, high, low, low_low or stale. */
  limit_kind: AlarmLimitKind;
  message: string;
  severity: AlarmSeverity;
  state: AlarmState;
  /** Whether the process condition is beyond its limit now (true while shelved or suppressed if it still is). */
  active: boolean;
  /** The value that raised (or last re-raised) it; seconds of silence for `stale`. */
  value: number;
  limit: number;
  raised_at: string;
  acknowledged_by?: string | null;
  acknowledged_at?: string | null;
  /** The acknowledgement's comment. */
  comment?: string | null;
  shelved_until?: string | null;
  shelved_by?: string | null;
  shelve_reason?: string | null;
  /** When the condition last returned inside its limit. */
  cleared_at?: string | null;
  /** Whether acknowledging it needs a comment (from its rule). */
  comment_required: boolean;
}

/** `POST /api/alarms/ack`: a flood acknowledged in one request, each alarm on its own. */
export interface BulkAcknowledgeResult {
  /** How many this request acknowledged (not counting those acknowledged already). */
  acknowledged: number;
  failed: number;
  results: { alarm_id: string; ok: boolean; changed: boolean; message: string; alarm: AlarmRecord | null }[];
}
