import { ALARM_SEVERITIES, type AlarmLimitKind, type AlarmSeverity, type AlarmState } from '@lm/protocol';

/** One annunciation (a raise, or a re-activation from returned-to-normal) in the window. */
export interface Activation {
  at: number;
  lineId: string;
  metric: string;
  kind: AlarmLimitKind;
  severity: AlarmSeverity;
}

export interface OpenAlarm {
  id: string;
  lineId: string;
  metric: string;
  kind: AlarmLimitKind;
  state: AlarmState;
  active: boolean;
  raisedAt: number;
}

interface SourceRef {
  production_line_id: string;
  metric: string;
  limit_kind: AlarmLimitKind;
}

/** `GET /api/alarms/kpis` (ISA-18.2 / EEMUA 191 performance metrics), snake_case as on the wire. */
export interface AlarmKpis {
  window: { from: string; to: string; seconds: number };
  alarms_total: number;
  /** Annunciations per 10-minute interval of the window (intervals aligned to its start). */
  alarms_per_10min: { average: number; peak: number };
  /** Intervals with more than 10 annunciations, and the time they cover. */
  flood: { intervals: number; seconds: number; percent_of_window: number };
  /** Sources with 3 or more activations within 60 seconds. */
  chattering: { count: number; alarms: (SourceRef & { max_per_minute: number })[] };
  /** Open alarms whose condition has been active for over 24 hours. */
  stale: { count: number; alarms: (SourceRef & { id: string; raised_at: string })[] };
  top_bad_actors: (SourceRef & { count: number; percent: number })[];
  priority_mix: Record<AlarmSeverity, { count: number; percent: number }>;
  /** Open, not shelved or suppressed (unacknowledged, acknowledged, returned-to-normal unacknowledged). */
  standing: number;
  shelved: number;
  suppressed: number;
}

export const TEN_MINUTES_MS = 600_000;
export const FLOOD_THRESHOLD = 10;
export const CHATTER_COUNT = 3;
export const CHATTER_WINDOW_MS = 60_000;
export const STALE_AFTER_MS = 24 * 3600_000;

const pct = (n: number, total: number): number => (total === 0 ? 0 : Math.round((1000 * n) / total) / 10);
const ref = (a: { lineId: string; metric: string; kind: AlarmLimitKind }): SourceRef => ({ production_line_id: a.lineId, metric: a.metric, limit_kind: a.kind });
const key = (a: { lineId: string; metric: string; kind: string }): string => `${a.lineId}\u0000${a.metric}\u0000${a.kind}`;

const bySourceOrder = (a: SourceRef, b: SourceRef): number =>
  a.production_line_id.localeCompare(b.production_line_id) || a.metric.localeCompare(b.metric) || a.limit_kind.localeCompare(b.limit_kind);

/** Pure: the KPIs of a window [from, to) from its activations and the alarms open at `to`. */
export function computeKpis(from: number, to: number, activations: Activation[], open: OpenAlarm[]): AlarmKpis {
  const inWindow = activations.filter((a) => a.at >= from && a.at < to).sort((a, b) => a.at - b.at);
  const intervals = Math.max(1, Math.ceil((to - from) / TEN_MINUTES_MS));
  const buckets = new Array<number>(intervals).fill(0);
  for (const a of inWindow) buckets[Math.floor((a.at - from) / TEN_MINUTES_MS)]++;
  const floodIntervals = buckets.filter((n) => n > FLOOD_THRESHOLD).length;
  // The last interval may be partial: flood time counts only the part inside the window.
  const floodMs = buckets.reduce((sum, n, i) => (n > FLOOD_THRESHOLD ? sum + Math.min(TEN_MINUTES_MS, to - (from + i * TEN_MINUTES_MS)) : sum), 0);

  const bySource = new Map<string, { first: Activation; times: number[] }>();
  for (const a of inWindow) {
    const s = bySource.get(key(a)) ?? { first: a, times: [] };
    s.times.push(a.at);
    bySource.set(key(a), s);
  }
  const chattering: AlarmKpis['chattering']['alarms'] = [];
  for (const { first, times } of bySource.values()) {
    let max = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] > CHATTER_WINDOW_MS) i++;
      max = Math.max(max, j - i + 1);
    }
    if (max >= CHATTER_COUNT) chattering.push({ ...ref(first), max_per_minute: max });
  }
  chattering.sort((a, b) => b.max_per_minute - a.max_per_minute || bySourceOrder(a, b));

  const top = [...bySource.values()]
    .map(({ first, times }) => ({ ...ref(first), count: times.length, percent: pct(times.length, inWindow.length) }))
    .sort((a, b) => b.count - a.count || bySourceOrder(a, b))
    .slice(0, 10);

  const mix = Object.fromEntries(
    ALARM_SEVERITIES.map((s) => {
      const n = inWindow.filter((a) => a.severity === s).length;
      return [s, { count: n, percent: pct(n, inWindow.length) }];
    }),
  ) as AlarmKpis['priority_mix'];

  const stale = open
    .filter((a) => a.active && a.state !== 'suppressed' && to - a.raisedAt > STALE_AFTER_MS)
    .sort((a, b) => a.raisedAt - b.raisedAt)
    .map((a) => ({ id: a.id, ...ref(a), raised_at: new Date(a.raisedAt).toISOString() }));

  return {
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), seconds: Math.round((to - from) / 1000) },
    alarms_total: inWindow.length,
    alarms_per_10min: { average: Math.round((100 * inWindow.length) / intervals) / 100, peak: Math.max(...buckets) },
    flood: { intervals: floodIntervals, seconds: Math.round(floodMs / 1000), percent_of_window: pct(floodMs, to - from) },
    chattering: { count: chattering.length, alarms: chattering },
    stale: { count: stale.length, alarms: stale },
    top_bad_actors: top,
    priority_mix: mix,
    standing: open.filter((a) => a.state === 'unacknowledged' || a.state === 'acknowledged' || a.state === 'rtn_unacknowledged').length,
    shelved: open.filter((a) => a.state === 'shelved').length,
    suppressed: open.filter((a) => a.state === 'suppressed').length,
  };
}

/** `window=` as `90m`, `24h`, `7d` (at most 90 days). */
export function parseWindow(w: string): number | null {
  const m = /^(\d{1,4})([mhd])$/.exec(w);
  if (!m) return null;
  const ms = Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3600_000 : 86_400_000);
  return ms > 0 && ms <= 90 * 86_400_000 ? ms : null;
}
