'use client';

import { memo, useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AlarmSeverity } from '@lm/protocol';
import { apiJson } from '../../lib/api';
import { metricValue, type LiveFeed, type LiveReading } from '../../lib/live-feed';
import { formatNumber, NO_VALUE } from '../../lib/format';
import styles from './line.module.css';

/** After a hole in the stream, history is queried again after these delays (late backfill). */
const GAP_REQUERY_MS = [3_000, 10_000];

/** A limit line drawn across the plot. */
export interface ChartLimit {
  value: number;
  /** "HH", "H", "L", "LL", "target". */
  label: string;
  severity: AlarmSeverity | null;
  /** Whether the y range must include it (high/low and target do; high-high/low-low only when near). */
  frame: boolean;
}

/** What part of time the charts show: the last `spanMs` (following live) or up to a fixed `end`. */
export interface TrendView {
  spanMs: number;
  /** Epoch ms; null while following live data. */
  end: number | null;
}

interface HistoryResponse {
  resolution: 'raw' | 'bucketed';
  bucket_ms: number | null;
  points: { time: string; min: number; max: number; avg: number; count: number }[];
}

interface Props {
  apiBase: string | null;
  token: string | null;
  ready: boolean;
  lineId: string;
  metric: string;
  title: string;
  unit: string;
  decimals: number;
  height: number;
  view: TrendView;
  limits: readonly ChartLimit[];
  feed: LiveFeed | null;
  onZoom: (from: number, to: number) => void;
}

type Series = { x: number[]; avg: (number | null)[]; min: (number | null)[]; max: (number | null)[] };
const emptySeries = (): Series => ({ x: [], avg: [], min: [], max: [] });

const SEV_VAR: Record<AlarmSeverity, string> = { critical: '--sev-critical', high: '--sev-high', medium: '--sev-medium', low: '--sev-low' };

/**
 * One metric over time (uPlot): history from the api at about one point per pixel, live readings
 * appended per animation frame while following, limits drawn. Data lives outside React state: a
 * live reading never re-renders the component.
 */
export const TrendChart = memo(function TrendChart(props: Props) {
  const { apiBase, token, ready, lineId, metric, title, unit, decimals, height, view, limits, feed, onZoom } = props;
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const series = useRef<Series>(emptySeries());
  const limitsRef = useRef(limits);
  const onZoomRef = useRef(onZoom);
  const viewRef = useRef(view);
  const [width, setWidth] = useState(0);
  const [reload, setReload] = useState(0);
  const [info, setInfo] = useState<{
    resolution: string;
    bucketMs: number | null;
    points: number;
    requests: number;
    from: number;
    to: number;
    error: string | null;
  }>({
    resolution: 'none',
    bucketMs: null,
    points: 0,
    requests: 0,
    from: 0,
    to: 0,
    error: null,
  });
  // Written straight to the DOM per frame: a live reading never re-renders React.
  const latestEl = useRef<HTMLSpanElement>(null);
  const figure = useRef<HTMLElement>(null);
  limitsRef.current = limits;
  onZoomRef.current = onZoom;
  viewRef.current = view;

  // The plot itself, created once in the browser; resized with its box.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const css = getComputedStyle(document.documentElement);
    const color = (v: string, fallback: string): string => css.getPropertyValue(v).trim() || fallback;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { sync: { key: `line-${lineId}` }, drag: { x: true, y: false, setScale: false } },
      scales: {
        x: { time: true },
        y: {
          range: (_u, dataMin, dataMax) => {
            let lo = Number.isFinite(dataMin) ? dataMin : Infinity;
            let hi = Number.isFinite(dataMax) ? dataMax : -Infinity;
            for (const l of limitsRef.current) {
              if (!l.frame) continue;
              lo = Math.min(lo, l.value);
              hi = Math.max(hi, l.value);
            }
            if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
            const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
            return [lo - pad, hi + pad];
          },
        },
      },
      axes: [
        {
          stroke: '#3f3f3f',
          grid: { stroke: '#cdcdcd', width: 1 },
          ticks: { stroke: '#bcbcbc' },
          space: 70,
          values: (_u, splits, _i, _space, incr) => splits.map((s) => timeTick(s, incr)),
        },
        {
          stroke: '#3f3f3f',
          grid: { stroke: '#cdcdcd', width: 1 },
          ticks: { stroke: '#bcbcbc' },
          size: 64,
          values: (_u, vals) => vals.map((v) => v.toFixed(decimals)),
        },
      ],
      series: [
        {},
        { label: title, stroke: '#262626', width: 1.5, points: { show: false } },
        { label: 'min', stroke: 'rgba(0,0,0,0)', points: { show: false } },
        { label: 'max', stroke: 'rgba(0,0,0,0)', points: { show: false } },
      ],
      bands: [{ series: [3, 2], fill: 'rgba(60,60,60,0.16)' }],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return;
            const from = u.posToVal(u.select.left, 'x') * 1000;
            const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            onZoomRef.current(from, to);
          },
        ],
        draw: [
          (u) => {
            const ctx = u.ctx;
            const { left, top, width: w, height: h } = u.bbox;
            const dpr = window.devicePixelRatio || 1;
            for (const l of limitsRef.current) {
              const y = u.valToPos(l.value, 'y', true);
              if (y < top || y > top + h) continue;
              ctx.save();
              ctx.strokeStyle = l.severity ? color(SEV_VAR[l.severity], '#c4161c') : '#5e5e5e';
              ctx.lineWidth = (l.severity ? 2 : 1.5) * dpr;
              ctx.setLineDash(l.severity ? [8 * dpr, 5 * dpr] : []);
              ctx.beginPath();
              ctx.moveTo(left, y);
              ctx.lineTo(left + w, y);
              ctx.stroke();
              ctx.setLineDash([]);
              ctx.font = `${600} ${12 * dpr}px system-ui, sans-serif`;
              ctx.fillStyle = '#1c1c1c';
              ctx.textAlign = 'right';
              ctx.fillText(`${l.label} ${l.value.toFixed(decimals)}`, left + w - 4 * dpr, y - 4 * dpr);
              ctx.restore();
            }
          },
        ],
      },
    };
    const s = series.current;
    const u = new uPlot(opts, [s.x, s.avg, s.min, s.max], el);
    plot.current = u;
    setWidth(el.clientWidth);
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      u.setSize({ width: w, height });
      // Re-query only for a noticeable change of width (max_points follows the pixels).
      setWidth((prev) => (Math.abs(prev - w) > 80 ? w : prev));
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [lineId, height, decimals, title]);

  // Limits changed (rules loaded): redraw with the new y range.
  useEffect(() => {
    plot.current?.redraw(true, true);
  }, [limits]);

  const following = view.end === null;
  const push = (u: uPlot | null): void => {
    if (!u) return;
    const s = series.current;
    const v = viewRef.current;
    const end = v.end ?? Date.now();
    u.setData([s.x, s.avg, s.min, s.max], false);
    figure.current?.setAttribute('data-length', String(s.x.length));
    figure.current?.setAttribute('data-max-gap-ms', String(maxGapMs(s, (end - v.spanMs) / 1000)));
    u.setScale('x', { min: (end - v.spanMs) / 1000, max: end / 1000 });
  };

  // History for the shown range; live readings that arrive meanwhile are kept and appended after it.
  useEffect(() => {
    if (!apiBase || !ready || width === 0) return;
    const ctrl = new AbortController();
    const end = view.end ?? Date.now();
    const from = end - view.spanMs;
    const maxPoints = Math.max(200, Math.min(4000, Math.round(width)));
    const meanwhile: LiveReading[] = [];
    const offLive = view.end === null && feed ? feed.onReadings((batch) => meanwhile.push(...batch)) : () => undefined;
    const q = new URLSearchParams({
      metric,
      from: new Date(from).toISOString(),
      to: new Date(end).toISOString(),
      max_points: String(maxPoints),
    });
    apiJson<HistoryResponse>(apiBase, `/api/lines/${encodeURIComponent(lineId)}/history?${q.toString()}`, token, {}, ctrl.signal).then(
      (res) => {
        offLive();
        const s = emptySeries();
        for (const p of res.points) {
          s.x.push(Date.parse(p.time) / 1000);
          s.avg.push(p.avg);
          s.min.push(p.min);
          s.max.push(p.max);
        }
        for (const r of meanwhile) {
          const v = metricValue(r.data, metric);
          if (v !== null) insertPoint(s, r.t / 1000, v);
        }
        series.current = s;
        push(plot.current);
        setInfo((i) => ({
          resolution: res.resolution,
          bucketMs: res.bucket_ms,
          points: res.points.length,
          requests: i.requests + 1,
          from,
          to: end,
          error: null,
        }));
      },
      (err: unknown) => {
        offLive();
        if (!ctrl.signal.aborted) setInfo((i) => ({ ...i, error: err instanceof Error ? err.message : String(err) }));
      },
    );
    return () => {
      ctrl.abort();
      offLive();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [apiBase, ready, token, lineId, metric, view.spanMs, view.end, width, reload, feed]);

  // Live readings, appended per frame while following; the window slides even when the line is silent.
  useEffect(() => {
    if (!feed) return;
    // A hole the stream could not replay: re-query now, and again as devices that were cut off too
    // send what they buffered (backfill is stored, never streamed, and may land after the first query).
    const later: ReturnType<typeof setTimeout>[] = [];
    const offGapListener = feed.onGap(() => {
      setReload((n) => n + 1);
      for (const ms of GAP_REQUERY_MS) later.push(setTimeout(() => setReload((n) => n + 1), ms));
    });
    const offGap = (): void => {
      offGapListener();
      for (const t of later) clearTimeout(t);
    };
    if (!following) return offGap;
    const offLive = feed.onReadings((batch) => {
      const s = series.current;
      let value: number | null = null;
      for (const r of batch) {
        const v = metricValue(r.data, metric);
        if (v === null) continue;
        value = v;
        insertPoint(s, r.t / 1000, v);
      }
      // Drop what scrolled out of the window (with a margin), so a long session stays bounded.
      const cutoff = (Date.now() - viewRef.current.spanMs * 1.1) / 1000;
      let drop = 0;
      while (drop < s.x.length && s.x[drop] < cutoff) drop++;
      if (drop > 0) {
        s.x.splice(0, drop);
        s.avg.splice(0, drop);
        s.min.splice(0, drop);
        s.max.splice(0, drop);
      }
      push(plot.current);
      if (value !== null && latestEl.current) latestEl.current.textContent = formatNumber(value, decimals);
    });
    const slide = setInterval(() => push(plot.current), 1000);
    return () => {
      offGap();
      offLive();
      clearInterval(slide);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [feed, following, metric]);

  return (
    <figure
      ref={figure}
      className={styles.chart}
      data-testid={`trend-${metric}`}
      data-resolution={info.resolution}
      data-bucket-ms={info.bucketMs ?? ''}
      data-points={info.points}
      data-requests={info.requests}
      data-from={info.from}
      data-to={info.to}
    >
      <figcaption className={styles.chartHead}>
        <span className={styles.chartTitle}>{title}</span>
        <span className={styles.chartValue}>
          {following ? (
            <>
              <span ref={latestEl} data-testid={`trend-latest-${metric}`}>
                {NO_VALUE}
              </span>{' '}
              <span className={styles.unit}>{unit}</span>
            </>
          ) : null}
        </span>
        <span className={styles.chartMeta}>
          {info.error ? (
            <span className={styles.error}>history: {info.error}</span>
          ) : info.resolution === 'bucketed' ? (
            `min/avg/max per ${formatBucket(info.bucketMs)}`
          ) : info.resolution === 'raw' ? (
            'raw readings'
          ) : (
            'loading…'
          )}
        </span>
      </figcaption>
      <div ref={box} className={styles.plot} style={{ height }} />
    </figure>
  );
});

/**
 * Appends a live reading; one older than the last (a device's backlog after an outage, broadcast
 * late) goes in its place, so the series stays sorted. Equal times are kept once.
 */
function insertPoint(s: Series, x: number, v: number): void {
  const n = s.x.length;
  if (n === 0 || x > s.x[n - 1]) {
    s.x.push(x);
    s.avg.push(v);
    s.min.push(v);
    s.max.push(v);
    return;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.x[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (s.x[lo] === x) return;
  s.x.splice(lo, 0, x);
  s.avg.splice(lo, 0, v);
  s.min.splice(lo, 0, v);
  s.max.splice(lo, 0, v);
}

/** The widest gap between neighbouring points after `fromSec` (ms): what a test reads as "no hole". */
function maxGapMs(s: Series, fromSec: number): number {
  let gap = 0;
  for (let i = 1; i < s.x.length; i++) if (s.x[i - 1] >= fromSec) gap = Math.max(gap, s.x[i] - s.x[i - 1]);
  return Math.round(gap * 1000);
}

const hm = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
const hms = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dm = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short' });
const dmhm = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false });

// 24-hour ticks (a control room does not read am/pm), as fine as the tick spacing needs.
function timeTick(sec: number, incr: number): string {
  const ms = sec * 1000;
  if (incr >= 86_400) return dm.format(ms);
  if (incr >= 3_600 && new Date(ms).getHours() === 0) return dmhm.format(ms);
  if (incr >= 60) return hm.format(ms);
  return hms.format(ms);
}

function formatBucket(ms: number | null): string {
  if (!ms) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
