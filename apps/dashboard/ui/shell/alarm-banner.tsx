'use client';

import Link from 'next/link';
import { memo, useMemo } from 'react';
import { byPriority, countBySeverity, needsAck, SEVERITIES_DESC } from '../../lib/alarm-store';
import { useAlarms } from '../../lib/realtime-context';
import { formatClock } from '../../lib/format';
import { SeverityBadge } from '../alarms/severity';
import styles from './shell.module.css';

const SHOWN = 3;

/** On every screen: the highest unacknowledged alarms and counts by severity; a link to the alarm list. */
export const AlarmBanner = memo(function AlarmBanner() {
  const { open, loaded } = useAlarms();
  const { top, counts, total, acked } = useMemo(() => {
    const all = [...open.values()];
    const unacked = all.filter(needsAck).sort(byPriority);
    return { top: unacked.slice(0, SHOWN), counts: countBySeverity(unacked), total: unacked.length, acked: all.length - unacked.length };
  }, [open]);

  return (
    <Link
      href="/alarms"
      className={styles.alarmBanner}
      data-testid="alarm-banner"
      data-count={total}
      data-top={top[0]?.severity ?? 'none'}
      aria-label={`${total} unacknowledged alarms: open the alarm list`}
    >
      {total === 0 ? (
        <span className={styles.bannerQuiet}>{loaded ? 'No unacknowledged alarms' : 'Alarms: waiting for the server…'}</span>
      ) : (
        <>
          <span className={styles.bannerCounts}>
            {SEVERITIES_DESC.filter((s) => counts[s] > 0).map((s) => (
              <SeverityBadge key={s} severity={s} count={counts[s]} compact />
            ))}
          </span>
          <ul className={styles.bannerList}>
            {top.map((a) => (
              <li key={a.id} data-testid={`banner-alarm-${a.id}`}>
                <SeverityBadge severity={a.severity} compact />
                <span>{a.message}</span>
                <span className={styles.bannerTime}>{formatClock(a.raised_at)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      {acked > 0 ? <span className={styles.bannerQuiet}>{acked} acknowledged/shelved open</span> : null}
      <span className={styles.bannerGo}>Alarms ›</span>
    </Link>
  );
});
