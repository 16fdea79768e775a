'use client';

import Link from 'next/link';
import { memo, useState } from 'react';
import { useNotifications, useServices } from '../../lib/realtime-context';
import { formatClock } from '../../lib/format';
import { SeverityBadge } from '../alarms/severity';
import styles from './shell.module.css';

/** Unread count of `notification` messages and alarm events; opens a list with mark-as-read. */
export const NotificationBell = memo(function NotificationBell() {
  const { notifications } = useServices();
  const { items, unread } = useNotifications();
  const [open, setOpen] = useState(false);
  return (
    <div className={styles.bell}>
      <button
        type="button"
        className={styles.bellButton}
        aria-expanded={open}
        aria-label={`Notifications: ${unread} unread`}
        data-testid="bell"
        data-unread={unread}
        onClick={() => setOpen((o) => !o)}
      >
        <svg aria-hidden width="20" height="20" viewBox="0 0 24 24" className={styles.bellIcon}>
          <path d="M12 2a6 6 0 0 0-6 6v4.5L4 16v1h16v-1l-2-3.5V8a6 6 0 0 0-6-6Zm-2.5 16a2.5 2.5 0 0 0 5 0h-5Z" fill="currentColor" />
        </svg>
        {unread > 0 ? (
          <span className={styles.bellCount} data-testid="bell-count">
            {unread > 99 ? '99+' : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <div className={styles.bellPanel} role="dialog" aria-label="Notifications">
          <div className={styles.bellHead}>
            <strong>Notifications</strong>
            <button
              type="button"
              className={styles.linkButton}
              onClick={() => notifications.markAllRead()}
              disabled={unread === 0}
              data-testid="bell-read-all"
            >
              Mark all read
            </button>
          </div>
          {items.length === 0 ? <p className={styles.bellEmpty}>Nothing since this page opened.</p> : null}
          <ul className={styles.bellList}>
            {items.map((n) => (
              <li key={n.id} data-read={n.read || undefined} data-level={n.level}>
                <span className={styles.bellTime}>{formatClock(n.at)}</span>
                {n.severity ? <SeverityBadge severity={n.severity} compact /> : null}
                {n.alarmId ? (
                  <Link href={`/alarms?id=${n.alarmId}`} onClick={() => notifications.markRead(n.id)}>
                    {n.text}
                  </Link>
                ) : (
                  <span>{n.text}</span>
                )}
                {n.read ? null : (
                  <button
                    type="button"
                    className={styles.linkButton}
                    onClick={() => notifications.markRead(n.id)}
                    aria-label="Mark as read"
                  >
                    ✓
                  </button>
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
});
