'use client';

import Link from 'next/link';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AlarmSeverity, LineState } from '@lm/protocol';
import { apiJson } from '../../lib/api';
import { createLiveFeed, type LiveFeed } from '../../lib/live-feed';
import { formatNumber } from '../../lib/format';
import { useAlarms, useLines, useServices } from '../../lib/realtime-context';
import { SEVERITIES_DESC } from '../../lib/alarm-store';
import { SeverityBadge } from '../alarms/severity';
import { TrendChart, type ChartLimit, type TrendView } from './trend-chart';
import styles from './line.module.css';

interface LineInfo {
  id: string;
  name: string;
  diameter_target: number | null;
  zone_count: number;
  state: LineState | null;
}
interface Rule {
  metric: string;
  limit_kind: 'high_high' | 'high' | 'low' | 'low_low' | 'stale';
  limit: number;
  severity: AlarmSeverity;
  enabled: boolean;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const PRESETS: { label: string; ms: number }[] = [
  { label: '15m', ms: 15 * MIN },
  { label: '1h', ms: HOUR },
  { label: '8h', ms: 8 * HOUR },
  { label: '24h', ms: DAY },
  { label: '7d', ms: 7 * DAY },
  { label: '30d', ms: 30 * DAY },
];
const MIN_SPAN = 30_000;
const MAX_SPAN = 90 * DAY;

const NO_LIMITS: ChartLimit[] = [];
const LIMIT_LABEL: Record<string, string> = { high_high: 'HH', high: 'H', low: 'L', low_low: 'LL' };

/** The plant's time zone for exports: the browser's (control-room PCs run in plant time). */
const plantTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

const rangeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'short', timeStyle: 'short', hour12: false });

/** /lines/[id]: live values, trends of every metric with limits, zoom/pan over any range, CSV export. */
export function LineDetail({ id }: { id: string }) {
  const { client, apiBase, auth } = useServices();
  const token = auth.session?.token ?? null;
  const [line, setLine] = useState<LineInfo | null>(null);
  const [rules, setRules] = useState<Rule[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState<TrendView>({ spanMs: 15 * MIN, end: null });
  const [feed, setFeed] = useState<LiveFeed | null>(null);
  // The zones the device actually reports win over the registry's zone_count.
  const [liveZones, setLiveZones] = useState<number | null>(null);

  useEffect(() => {
    if (!apiBase || !auth.ready) return;
    const ctrl = new AbortController();
    const path = `/api/lines/${encodeURIComponent(id)}`;
    Promise.all([
      apiJson<LineInfo>(apiBase, path, token, {}, ctrl.signal),
      apiJson<{ rules: Rule[] }>(apiBase, `${path}/alarm-rules`, token, {}, ctrl.signal),
    ]).then(
      ([l, r]) => {
        setLine(l);
        setRules(r.rules);
        setError(null);
      },
      (err: unknown) => {
        if (!ctrl.signal.aborted) setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => ctrl.abort();
  }, [apiBase, auth.ready, token, id]);

  useEffect(() => {
    if (!client) return;
    const f = createLiveFeed(client, id);
    setFeed(f);
    f.onReadings((batch) => {
      const n = batch[batch.length - 1]?.data.body_temperatures?.length;
      if (typeof n === 'number') setLiveZones(n);
    });
    return () => {
      f.close();
      setFeed(null);
    };
  }, [client, id]);

  const limitsOf = useCallback(
    (metric: string): ChartLimit[] => {
      const out: ChartLimit[] = rules
        .filter((r) => r.enabled && r.metric === metric && r.limit_kind !== 'stale')
        .map((r) => ({
          value: r.limit,
          label: LIMIT_LABEL[r.limit_kind],
          severity: r.severity,
          frame: r.limit_kind === 'high' || r.limit_kind === 'low',
        }));
      if (metric === 'diameter' && line?.diameter_target != null)
        out.push({ value: line.diameter_target, label: 'target', severity: null, frame: true });
      return out;
    },
    [rules, line],
  );
  // Stable arrays per metric, so charts redraw only when the rules change.
  const limits = useMemo(() => {
    const m = new Map<string, ChartLimit[]>();
    const metrics = ['diameter', 'melt_pressure', 'line_speed', 'screw_speed', ...Array.from({ length: 16 }, (_, i) => `zone_${i + 1}`)];
    for (const metric of metrics) m.set(metric, limitsOf(metric));
    return m;
  }, [limitsOf, line]);

  const onZoom = useCallback((from: number, to: number) => {
    const span = Math.max(MIN_SPAN, to - from);
    setView({ spanMs: span, end: Math.min(Date.now(), from + span) });
  }, []);
  const zoom = (factor: number): void =>
    setView((v) => {
      const end = v.end ?? Date.now();
      const mid = end - v.spanMs / 2;
      const span = Math.min(MAX_SPAN, Math.max(MIN_SPAN, v.spanMs * factor));
      const newEnd = mid + span / 2;
      return { spanMs: span, end: v.end === null || newEnd >= Date.now() ? null : newEnd };
    });
  const pan = (direction: -1 | 1): void =>
    setView((v) => {
      const end = (v.end ?? Date.now()) + (direction * v.spanMs) / 2;
      return { spanMs: v.spanMs, end: end >= Date.now() ? null : end };
    });

  const common = { apiBase, token, ready: auth.ready, lineId: id, view, feed, onZoom };
  const zones = liveZones ?? line?.zone_count ?? 0;
  const shownEnd = view.end ?? Date.now();

  return (
    <main className={styles.screen} data-testid="line-detail" data-line-id={id}>
      <div className={styles.titleRow}>
        <Link href="/" className={styles.back}>
          ‹ Overview
        </Link>
        <h2 className={styles.h2}>{line?.name ?? `Line ${id}`}</h2>
        <LiveValues id={id} />
      </div>
      {error ? (
        <p className={styles.error}>
          Could not load line {id}: {error}
        </p>
      ) : null}

      <div
        className={styles.toolbar}
        role="toolbar"
        aria-label="Time range"
        data-testid="trend-range"
        data-span-ms={view.spanMs}
        data-following={view.end === null}
      >
        <div className={styles.segmented}>
          {PRESETS.map((p) => (
            <button
              key={p.label}
              type="button"
              aria-pressed={view.spanMs === p.ms}
              onClick={() => setView({ spanMs: p.ms, end: null })}
              data-testid={`range-${p.label}`}
            >
              {p.label}
            </button>
          ))}
        </div>
        <button type="button" onClick={() => pan(-1)} aria-label="Earlier" data-testid="pan-back">
          ◀
        </button>
        <button type="button" onClick={() => pan(1)} aria-label="Later" disabled={view.end === null} data-testid="pan-forward">
          ▶
        </button>
        <button type="button" onClick={() => zoom(0.5)} aria-label="Zoom in" data-testid="zoom-in">
          +
        </button>
        <button type="button" onClick={() => zoom(2)} aria-label="Zoom out" data-testid="zoom-out">
          −
        </button>
        <button
          type="button"
          onClick={() => setView((v) => ({ spanMs: v.spanMs, end: null }))}
          aria-pressed={view.end === null}
          data-testid="follow-live"
        >
          {view.end === null ? '● Live' : 'Go live'}
        </button>
        <span className={styles.rangeText} suppressHydrationWarning>
          {view.end === null
            ? `last ${spanText(view.spanMs)}, following`
            : `${rangeFormat.format(shownEnd - view.spanMs)} – ${rangeFormat.format(shownEnd)}`}
        </span>
        <span className={styles.muted}>Drag across a chart to zoom.</span>
        <ExportButton id={id} view={view} />
      </div>

      <div className={styles.charts}>
        <div className={styles.wide}>
          <TrendChart
            {...common}
            metric="diameter"
            title="Diameter"
            unit="mm"
            decimals={3}
            height={240}
            limits={limits.get('diameter') ?? NO_LIMITS}
          />
        </div>
        <TrendChart
          {...common}
          metric="melt_pressure"
          title="Melt pressure"
          unit="bar"
          decimals={1}
          height={170}
          limits={limits.get('melt_pressure') ?? NO_LIMITS}
        />
        <TrendChart
          {...common}
          metric="line_speed"
          title="Line speed"
          unit="m/min"
          decimals={2}
          height={170}
          limits={limits.get('line_speed') ?? NO_LIMITS}
        />
      </div>
      <h3 className={styles.h3}>Barrel zones °C</h3>
      <div className={styles.zoneCharts}>
        {Array.from({ length: zones }, (_, i) => `zone_${i + 1}`).map((m, i) => (
          <TrendChart
            key={m}
            {...common}
            metric={m}
            title={`Zone ${i + 1}`}
            unit="°C"
            decimals={1}
            height={140}
            limits={limits.get(m) ?? NO_LIMITS}
          />
        ))}
      </div>
    </main>
  );
}

function spanText(ms: number): string {
  if (ms >= DAY) return `${+(ms / DAY).toFixed(1)} d`;
  if (ms >= HOUR) return `${+(ms / HOUR).toFixed(1)} h`;
  if (ms >= MIN) return `${Math.round(ms / MIN)} min`;
  return `${Math.round(ms / 1000)} s`;
}

// The line's latest values and open alarms: re-renders per frame of its data, nothing else does.
function LiveValues({ id }: { id: string }) {
  const line = useLines().get(id);
  const { open } = useAlarms();
  const counts = useMemo(() => {
    const c: Record<AlarmSeverity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const a of open.values()) if (a.production_line_id === id) c[a.severity]++;
    return c;
  }, [open, id]);
  const d = line?.data;
  return (
    <div className={styles.liveValues}>
      <span className={styles.stateBadge} data-testid="detail-line-state">
        {line?.status?.state ?? '—'}
      </span>
      {SEVERITIES_DESC.filter((s) => counts[s] > 0).map((s) => (
        <Link key={s} href="/alarms">
          <SeverityBadge severity={s} count={counts[s]} compact />
        </Link>
      ))}
      <Value label="Diameter" value={formatNumber(d?.diameter, 3)} unit="mm" testId="live-diameter" />
      <Value label="Speed" value={formatNumber(d?.line_speed, 1)} unit="m/min" />
      <Value label="Pressure" value={formatNumber(d?.melt_pressure, 1)} unit="bar" />
      <Value label="Screw" value={formatNumber(d?.screw_speed, 1)} unit="rpm" />
    </div>
  );
}

function Value({ label, value, unit, testId }: { label: string; value: string; unit: string; testId?: string }) {
  return (
    <span className={styles.value}>
      <span className={styles.valueLabel}>{label}</span>
      <strong data-testid={testId}>{value}</strong>
      <span className={styles.unit}>{unit}</span>
    </span>
  );
}

/** Fetches the CSV of the shown range with the tab's token (a plain link could not send it) and saves it. */
function ExportButton({ id, view }: { id: string; view: TrendView }) {
  const { apiBase, auth } = useServices();
  const [status, setStatus] = useState<string | null>(null);
  const run = async (): Promise<void> => {
    if (!apiBase) return;
    const end = view.end ?? Date.now();
    const tz = plantTimeZone();
    const q = new URLSearchParams({ from: new Date(end - view.spanMs).toISOString(), to: new Date(end).toISOString(), tz });
    setStatus('Exporting…');
    try {
      const res = await fetch(`${apiBase}/api/lines/${encodeURIComponent(id)}/export.csv?${q.toString()}`, {
        headers: auth.session ? { authorization: `Bearer ${auth.session.token}` } : {},
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const blob = await res.blob();
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `line-${id}.csv`;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus(`Saved ${name} (${tz})`);
    } catch (err) {
      setStatus(`Export failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <span className={styles.export}>
      <button type="button" onClick={() => void run()} data-testid="export-csv">
        Export CSV
      </button>
      {status ? (
        <span className={styles.muted} data-testid="export-status">
          {status}
        </span>
      ) : null}
    </span>
  );
}
