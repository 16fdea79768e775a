import { memo } from 'react';
import type { ConnectionState } from '@lm/client';
import { formatAge } from '../../lib/format';
import styles from './overview.module.css';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
  recovering: 'Recovering',
  fallback: 'Fallback',
};

interface Props {
  state: ConnectionState;
  reason: string;
  lastMessageAt: number | null;
  now: number;
}

/** The link to the server: quiet when live, coloured (abnormal) in every other state. */
export const ConnectionIndicator = memo(function ConnectionIndicator({ state, reason, lastMessageAt, now }: Props) {
  const age = lastMessageAt !== null && now > 0 ? formatAge(Math.max(0, now - lastMessageAt)) : null;
  return (
    <div className={styles.connection} data-testid="connection-state" data-state={state} title={reason} role="status" aria-live="polite">
      <span className={styles.connectionDot} aria-hidden />
      <span className={styles.connectionLabel}>{LABELS[state]}</span>
      <span className={styles.connectionAge}>{age === null ? 'no data yet' : `last message ${age} ago`}</span>
    </div>
  );
});
