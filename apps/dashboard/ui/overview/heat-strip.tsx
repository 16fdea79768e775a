import { formatNumber } from '../../lib/format';
import styles from './overview.module.css';

// Fixed scale for the fill, so the same temperature looks the same on every line.
const SCALE_MIN = 100;
const SCALE_MAX = 300;

/** Barrel zones, feed first: a grey profile (fill height) with the °C value in each zone. */
export function HeatStrip({ temperatures, lineId }: { temperatures: readonly number[] | null; lineId: string }) {
  if (!temperatures || temperatures.length === 0) {
    return <div className={styles.heatStripEmpty}>no zone data</div>;
  }
  return (
    <div
      className={styles.heatStrip}
      style={{ gridTemplateColumns: `repeat(${temperatures.length}, minmax(0, 1fr))` }}
      data-testid={`zones-${lineId}`}
    >
      {temperatures.map((t, i) => {
        const fill = typeof t === 'number' ? Math.min(1, Math.max(0, (t - SCALE_MIN) / (SCALE_MAX - SCALE_MIN))) : 0;
        return (
          <div key={i} className={styles.zone} title={`Zone ${i + 1}: ${formatNumber(t, 1)} °C`}>
            <span className={styles.zoneFill} style={{ height: `${(fill * 100).toFixed(1)}%` }} aria-hidden />
            <span className={styles.zoneName}>Z{i + 1}</span>
            <span className={`${styles.zoneValue} ${styles.value}`}>{formatNumber(t, 0)}</span>
          </div>
        );
      })}
    </div>
  );
}
