import type { TrendPoint } from '../../lib/use-realtime';
import { formatNumber } from '../../lib/format';
import styles from './overview.module.css';

const GAP_MS = 2000;

interface Props {
  points: readonly TrendPoint[];
  now: number;
  windowMs: number;
  decimals: number;
  /** What to say while there are not enough points. */
  emptyText: string;
}

/** A small trend of the last minute, scaled to its own range (printed beside it, so it never misleads). */
export function Sparkline({ points, now, windowMs, decimals, emptyText }: Props) {
  const end = now > 0 ? now : (points[points.length - 1]?.t ?? 0);
  const start = end - windowMs;
  const visible = points.filter((p) => p.t >= start);
  if (visible.length < 2) return <div className={styles.sparkEmpty}>{emptyText}</div>;

  let min = Infinity;
  let max = -Infinity;
  for (const p of visible) {
    if (p.v < min) min = p.v;
    if (p.v > max) max = p.v;
  }
  // A floor on the span keeps sensor noise from looking like a process upset.
  const minSpan = Math.max(10 ** -decimals * 4, Math.abs((min + max) / 2) * 0.001);
  if (max - min < minSpan) {
    const mid = (min + max) / 2;
    min = mid - minSpan / 2;
    max = mid + minSpan / 2;
  }
  // A pause in the data (link down, line silent) is a gap in the trend, not a straight line across it.
  let path = '';
  let prevT = -Infinity;
  for (const p of visible) {
    const x = (((p.t - start) / windowMs) * 100).toFixed(2);
    const y = ((1 - (p.v - min) / (max - min)) * 28 + 1).toFixed(2);
    path += `${p.t - prevT > GAP_MS ? 'M' : 'L'}${x},${y} `;
    prevT = p.t;
  }

  return (
    <div className={styles.spark}>
      <div className={styles.sparkPlot}>
        <svg className={styles.sparkSvg} viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden>
          <path d={path} fill="none" vectorEffect="non-scaling-stroke" />
        </svg>
      </div>
      <div className={styles.sparkScale}>
        <span>{formatNumber(max, decimals)}</span>
        <span>{formatNumber(min, decimals)}</span>
      </div>
    </div>
  );
}
