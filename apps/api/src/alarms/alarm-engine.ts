import { STALE_METRIC, type AlarmLimitKind, type AlarmMetric, type AlarmSeverity, type TelemetryReading } from '@lm/protocol';

/** One alarm rule: a limit on one metric of one line. */
export interface AlarmRule {
  lineId: string;
  metric: AlarmMetric;
  kind: AlarmLimitKind;
  /** Process units; for `stale`, seconds of silence. */
  limit: number;
  severity: AlarmSeverity;
  /** How far back inside the limit the value must come to clear (process units). */
  deadband: number;
  /** The value must stay beyond the limit this long before the alarm raises. */
  onDelayS: number;
  /** The value must stay inside (past the deadband) this long before the alarm clears. */
  offDelayS: number;
  enabled: boolean;
  commentRequired: boolean;
}

/** What the engine tells the service: a condition became active or cleared. */
export interface ConditionChange {
  rule: AlarmRule;
  change: 'activate' | 'clear';
  value: number;
  at: Date;
}

export const sourceKey = (lineId: string, metric: string, kind: string): string => `${lineId}\u0000${metric}\u0000${kind}`;

interface Tracker {
  active: boolean;
  /** When the pending change began (beyond the limit while inactive, inside while active), epoch ms. */
  since: number | null;
}

function metricValue(reading: TelemetryReading, metric: AlarmMetric): number | null {
  if (metric.startsWith('zone_')) return reading.body_temperatures?.[Number(metric.slice(5)) - 1] ?? null;
  switch (metric) {
    case 'diameter':
    case 'line_speed':
    case 'melt_pressure':
    case 'screw_speed':
      return reading[metric];
    default:
      return null;
  }
}

interface Entry {
  rule: AlarmRule;
  tracker: Tracker;
  /** body_temperatures index for zone_N metrics, else -1. */
  zone: number;
}

const EPS = 1e-9;

const isHigh = (kind: AlarmLimitKind): boolean => kind === 'high' || kind === 'high_high';

function step(rule: AlarmRule, tr: Tracker, v: number, t: number): 'activate' | 'clear' | null {
  const high = isHigh(rule.kind);
  if (!tr.active) {
    const beyond = high ? v > rule.limit : v < rule.limit;
    if (!beyond) {
      tr.since = null;
      return null;
    }
    tr.since ??= t;
    if (t - tr.since < rule.onDelayS * 1000) return null;
    tr.active = true;
    tr.since = null;
    return 'activate';
  }
  // EPS: 20.4 - 0.1 is 20.299999999999997 in binary; a reading of 20.3 is inside the deadband.
  const inside = high ? v <= rule.limit - rule.deadband + EPS : v >= rule.limit + rule.deadband - EPS;
  if (!inside) {
    tr.since = null;
    return null;
  }
  tr.since ??= t;
  if (t - tr.since < rule.offDelayS * 1000) return null;
  tr.active = false;
  tr.since = null;
  return 'clear';
}

/**
 * Rule evaluation, in memory and synchronous (it runs in the ingest path for every live reading):
 * limits with deadband, on-delay and off-delay measured in measurement time, the stale-data rule in
 * receipt time (the injected clock), suppression of process rules while a line is stopped. It only
 * reports condition changes; alarms and their states are the service's business.
 */
export class AlarmEngine {
  // Each rule carries its tracker, so the hot path does no key building or map lookups per rule.
  private byLine = new Map<string, Entry[]>();
  private readonly trackers = new Map<string, Tracker>();
  private readonly lastSeen = new Map<string, number>();
  private readonly suppressed = new Set<string>();

  /** Replaces the rule set; trackers of rules that still exist keep their state. */
  setRules(rules: AlarmRule[]): void {
    const byLine = new Map<string, Entry[]>();
    const keep = new Map<string, Tracker>();
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const key = sourceKey(rule.lineId, rule.metric, rule.kind);
      const tracker = this.trackers.get(key) ?? { active: false, since: null };
      keep.set(key, tracker);
      const list = byLine.get(rule.lineId) ?? [];
      list.push({ rule, tracker, zone: rule.metric.startsWith('zone_') ? Number(rule.metric.slice(5)) - 1 : -1 });
      byLine.set(rule.lineId, list);
    }
    this.trackers.clear();
    for (const [k, t] of keep) this.trackers.set(k, t);
    this.byLine = byLine;
  }

  /** At start: conditions that are active in the database, so that their clearing is noticed. */
  markActive(lineId: string, metric: string, kind: string): void {
    const t = this.trackers.get(sourceKey(lineId, metric, kind));
    if (t) {
      t.active = true;
      t.since = null;
    }
  }

  isActive(lineId: string, metric: string, kind: string): boolean {
    return this.trackers.get(sourceKey(lineId, metric, kind))?.active ?? false;
  }

  /** One live reading of a line, received at `receivedAt` (clock ms). */
  evaluate(lineId: string, reading: TelemetryReading, receivedAt: number): ConditionChange[] {
    const rules = this.byLine.get(lineId);
    this.lastSeen.set(lineId, receivedAt);
    if (!rules) return [];
    const changes: ConditionChange[] = [];
    const t = reading.time.getTime();
    const suppressed = this.suppressed.has(lineId);
    for (const { rule, tracker, zone } of rules) {
      if (rule.kind === 'stale') {
        // Data arrived: a silent line speaks again.
        if (tracker.active) {
          tracker.active = false;
          tracker.since = null;
          changes.push({ rule, change: 'clear', value: 0, at: new Date(receivedAt) });
        }
        continue;
      }
      if (suppressed) continue;
      const v = zone >= 0 ? (reading.body_temperatures?.[zone] ?? null) : metricValue(reading, rule.metric);
      if (v === null) continue;
      const change = step(rule, tracker, v, t);
      if (change) changes.push({ rule, change, value: v, at: reading.time });
    }
    return changes;
  }

  /** A line was heard from, though another instance evaluates it: for the stale check after a hand-over. */
  touch(lineId: string, receivedAt: number): void {
    this.lastSeen.set(lineId, receivedAt);
  }

  /**
   * Forgets the conditions of these lines (every tracker inactive, no pending delay): before this
   * instance takes over their evaluation and marks what the database says is active.
   */
  resetLines(lineIds: readonly string[]): void {
    for (const lineId of lineIds) {
      for (const { tracker } of this.byLine.get(lineId) ?? []) {
        tracker.active = false;
        tracker.since = null;
      }
    }
  }

  /** Lines silent for longer than their stale rule's limit (only lines heard from since start, and `include`d). */
  checkStale(now: number, include: (lineId: string) => boolean = () => true): ConditionChange[] {
    const changes: ConditionChange[] = [];
    for (const [lineId, rules] of this.byLine) {
      const seen = this.lastSeen.get(lineId);
      if (seen === undefined || !include(lineId)) continue;
      for (const { rule, tracker: tr } of rules) {
        if (rule.kind !== 'stale' || rule.metric !== STALE_METRIC) continue;
        const silentS = (now - seen) / 1000;
        if (tr.active || silentS < rule.limit) continue;
        tr.active = true;
        changes.push({ rule, change: 'activate', value: Math.round(silentS * 10) / 10, at: new Date(now) });
      }
    }
    return changes;
  }

  /** A stopped line: its process rules stop evaluating and forget their conditions (stale still runs). */
  suppress(lineId: string): void {
    this.suppressed.add(lineId);
    for (const { rule, tracker } of this.byLine.get(lineId) ?? []) {
      if (rule.kind === 'stale') continue;
      tracker.active = false;
      tracker.since = null;
    }
  }

  unsuppress(lineId: string): void {
    this.suppressed.delete(lineId);
  }

  isSuppressed(lineId: string): boolean {
    return this.suppressed.has(lineId);
  }

  rulesOf(lineId: string): readonly AlarmRule[] {
    return (this.byLine.get(lineId) ?? []).map((e) => e.rule);
  }
}
