import type { AlarmSeverity } from '@lm/protocol';
import styles from './alarms.module.css';

// Colour never alone: each severity has its own shape and word as well.
const SHAPES: Record<AlarmSeverity, string> = { critical: '◆', high: '▲', medium: '■', low: '●' };
export const SEVERITY_LABELS: Record<AlarmSeverity, string> = { critical: 'Critical', high: 'High', medium: 'Medium', low: 'Low' };

export function SeverityBadge({ severity, count, compact }: { severity: AlarmSeverity; count?: number; compact?: boolean }) {
  return (
    <span
      className={styles.sev}
      data-sev={severity}
      data-testid={count === undefined ? undefined : `sev-count-${severity}`}
      title={SEVERITY_LABELS[severity]}
    >
      <span aria-hidden className={styles.sevShape}>
        {SHAPES[severity]}
      </span>
      {compact ? <span className={styles.srOnly}>{SEVERITY_LABELS[severity]}</span> : <span>{SEVERITY_LABELS[severity]}</span>}
      {count === undefined ? null : <span className={styles.sevCount}>{count}</span>}
    </span>
  );
}

/** "zone_3" -> "Zone 3", "melt_pressure" -> "Melt pressure". */
export function metricLabel(metric: string): string {
  const zone = /^zone_(\d+)$/.exec(metric);
  if (zone) return `Zone ${zone[1]}`;
  if (metric === 'data') return 'Data';
  const s = metric.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function metricUnit(metric: string): string {
  if (metric.startsWith('zone_')) return '°C';
  switch (metric) {
    case 'diameter':
      return 'mm';
    case 'line_speed':
      return 'm/min';
    case 'melt_pressure':
      return 'bar';
    case 'screw_speed':
      return 'rpm';
    case 'data':
      return 's';
    default:
      return '';
  }
}

export const STATE_LABELS: Record<string, string> = {
  normal: 'Normal',
  unacknowledged: 'Unacknowledged',
  acknowledged: 'Acknowledged',
  rtn_unacknowledged: 'Cleared, unacknowledged',
  shelved: 'Shelved',
  suppressed: 'Suppressed',
  out_of_service: 'Out of service',
};
