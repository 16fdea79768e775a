import { memo } from 'react';
import type { LineState } from '@lm/protocol';
import { TREND_WINDOW_MS, type LineView } from '../../lib/use-realtime';
import { formatAge, formatClock, formatNumber, NO_VALUE } from '../../lib/format';
import Link from 'next/link';
import { SEVERITIES_DESC, type SeverityCounts } from '../../lib/alarm-store';
import { SeverityBadge } from '../alarms/severity';
import { HeatStrip } from './heat-strip';
import { Sparkline } from './sparkline';
import styles from './overview.module.css';

/** Data older than this is shown as stale: greyed, with its age. */
export const STALE_AFTER_MS = 5000;

const STATE_LABELS: Record<LineState, string> = {
  running: 'Running',
  stopped: 'Stopped',
  fault: 'Fault',
  offline: 'Offline',
};

/** The diameter's target and its high/low alarm limits, shown under the value. */
export interface DiameterSpec {
  target: number | null;
  low: number | null;
  high: number | null;
}

interface Props {
  id: string;
  line: LineView | null;
  /** Page clock (epoch ms, 0 before mount). */
  now: number;
  /** Whether the connection is live; when not, every value is shown greyed. */
  live: boolean;
  /** Open alarms of this line by severity; null when none. */
  alarms: SeverityCounts | null;
  spec: DiameterSpec | null;
}

export const LineTile = memo(function LineTile({ id, line, now, live, alarms, spec }: Props) {
  const data = line?.data ?? null;
  const receivedAt = line?.receivedAt ?? null;
  const age = receivedAt !== null && now > 0 ? Math.max(0, now - receivedAt) : null;
  const stale = age !== null && age > STALE_AFTER_MS;
  const state = line?.status?.state ?? null;
  const waiting = data === null;

  return (
    <section
      className={styles.tile}
      data-testid={`line-tile-${id}`}
      data-line-state={state ?? 'unknown'}
      data-stale={stale || undefined}
      data-waiting={waiting || undefined}
      data-dim={!live || stale || state === 'offline' || undefined}
      aria-label={`Line ${id}`}
    >
      <header className={styles.tileHeader}>
        <h2 className={styles.tileTitle}>
          <Link href={`/lines/${encodeURIComponent(id)}`} className={styles.tileLink} data-testid={`line-link-${id}`}>
            Line {id}
          </Link>
        </h2>
        {alarms ? (
          <span className={styles.tileAlarms} data-testid={`tile-alarms-${id}`}>
            {SEVERITIES_DESC.filter((s) => alarms[s] > 0).map((s) => (
              <SeverityBadge key={s} severity={s} count={alarms[s]} compact />
            ))}
          </span>
        ) : null}
        {stale ? (
          <span className={styles.staleBadge} data-testid={`stale-${id}`}>
            No data {formatAge(age ?? 0)}
          </span>
        ) : null}
        <span className={styles.stateBadge} data-state={state ?? 'unknown'} data-testid={`line-state-${id}`}>
          {state ? STATE_LABELS[state] : NO_VALUE}
        </span>
      </header>

      {waiting ? (
        <div className={styles.waiting}>Waiting for data…</div>
      ) : (
        <>
          <div className={styles.primary}>
            <span className={styles.metricLabel}>Diameter</span>
            <span className={styles.bigNumber}>
              <span className={styles.value} data-testid={`diameter-${id}`}>
                {formatNumber(data.diameter, 3)}
              </span>
              <span className={styles.unit}>mm</span>
            </span>
            {spec && spec.target !== null ? (
              <span className={styles.diameterSpec} data-testid={`diameter-spec-${id}`}>
                target {formatNumber(spec.target, 3)}
                {spec.low !== null && spec.high !== null ? ` · limits ${formatNumber(spec.low, 3)} – ${formatNumber(spec.high, 3)}` : ''}
              </span>
            ) : null}
            <Sparkline
              points={line?.trend ?? []}
              now={now}
              windowMs={TREND_WINDOW_MS}
              decimals={3}
              emptyText={stale || !live ? 'no recent trend data' : 'collecting trend…'}
            />
          </div>

          <dl className={styles.metrics}>
            <Metric label="Line speed" value={formatNumber(data.line_speed, 1)} unit="m/min" testId={`line-speed-${id}`} />
            <Metric label="Melt pressure" value={formatNumber(data.melt_pressure, 1)} unit="bar" testId={`melt-pressure-${id}`} />
            <Metric label="Screw speed" value={formatNumber(data.screw_speed, 1)} unit="rpm" testId={`screw-speed-${id}`} />
          </dl>

          <div className={styles.zones}>
            <span className={styles.metricLabel}>Barrel zones °C</span>
            <HeatStrip temperatures={data.body_temperatures} lineId={id} />
          </div>
        </>
      )}

      <footer className={styles.tileFooter}>
        <span data-testid={`updated-${id}`}>{age === null ? 'no data yet' : `updated ${formatAge(age)} ago`}</span>
        <span title="Measurement time (device clock)">{line?.measuredAt ? formatClock(line.measuredAt) : ''}</span>
      </footer>
    </section>
  );
});

function Metric({ label, value, unit, testId }: { label: string; value: string; unit: string; testId: string }) {
  return (
    <div className={styles.metric}>
      <dt className={styles.metricLabel}>{label}</dt>
      <dd className={styles.metricValue}>
        <span className={styles.value} data-testid={testId}>
          {value}
        </span>
        <span className={styles.unit}>{unit}</span>
      </dd>
    </div>
  );
}
