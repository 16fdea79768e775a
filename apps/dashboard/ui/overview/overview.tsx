'use client';

import { useMemo } from 'react';
import type { LineState } from '@lm/protocol';
import { compareLineIds, DEFAULT_LINE_IDS } from '../../lib/lines';
import { useNow, useRealtime, type LineView } from '../../lib/use-realtime';
import { formatAge, formatClock } from '../../lib/format';
import { ConnectionIndicator } from './connection-indicator';
import { LineTile, STALE_AFTER_MS } from './line-tile';
import styles from './overview.module.css';

/** The live overview: one tile per line. `apiUrl` comes from the server at request time (may be empty). */
export function Overview({ apiUrl }: { apiUrl: string }) {
  const realtime = useRealtime(apiUrl || undefined);
  const now = useNow(500);
  const { connection, lines, lastMessageAt } = realtime;
  const live = connection.state === 'live';

  // The demo lines as placeholders from the first paint, plus every line seen on the stream.
  const ids = useMemo(() => {
    const set = new Set<string>(DEFAULT_LINE_IDS);
    for (const id of lines.keys()) set.add(id);
    return [...set].sort(compareLineIds);
  }, [lines]);

  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <div className={styles.brand}>
          <h1 className={styles.title}>Line Monitor</h1>
          <span className={styles.subtitle}>Extrusion overview</span>
        </div>
        <Summary ids={ids} lines={lines} now={now} />
        <div className={styles.headerRight}>
          <ConnectionIndicator state={connection.state} reason={connection.reason} lastMessageAt={lastMessageAt} now={now} />
          <span className={styles.clock} suppressHydrationWarning>
            {now > 0 ? formatClock(now) : ''}
          </span>
        </div>
      </header>

      {!live ? (
        <div className={styles.banner} data-state={connection.state} data-testid="connection-banner" role="alert">
          <strong>{bannerTitle(connection.state, lastMessageAt !== null)}</strong>
          <span>
            {lastMessageAt !== null && now > 0
              ? `Values are the last received, ${formatAge(Math.max(0, now - lastMessageAt))} ago, and are not updating.`
              : 'No data received yet.'}
          </span>
          <span className={styles.bannerDetail}>
            {connection.reason}
            {realtime.wsUrl ? ` · ${realtime.wsUrl}` : ''}
          </span>
        </div>
      ) : null}

      <main className={styles.grid} data-live={live}>
        {ids.map((id) => (
          <LineTile key={id} id={id} line={lines.get(id) ?? null} now={now} live={live} />
        ))}
      </main>
    </div>
  );
}

function bannerTitle(state: string, hadData: boolean): string {
  switch (state) {
    case 'connecting':
      return 'Connecting to the server…';
    case 'reconnecting':
      return hadData ? 'Connection lost: reconnecting…' : 'Cannot reach the server: retrying…';
    case 'offline':
      return 'Offline: not connected to the server.';
    default:
      return 'Not live.';
  }
}

const SUMMARY_ORDER: readonly LineState[] = ['running', 'stopped', 'fault', 'offline'];

// Counts per line state; abnormal counts (fault, offline, stale) get the abnormal style only when non-zero.
function Summary({ ids, lines, now }: { ids: readonly string[]; lines: ReadonlyMap<string, LineView>; now: number }) {
  const counts = new Map<LineState, number>();
  let stale = 0;
  for (const id of ids) {
    const line = lines.get(id);
    const state = line?.status?.state;
    if (state) counts.set(state, (counts.get(state) ?? 0) + 1);
    if (line?.receivedAt != null && now > 0 && now - line.receivedAt > STALE_AFTER_MS) stale++;
  }
  return (
    <dl className={styles.summary} data-testid="summary">
      <div className={styles.summaryItem}>
        <dt>Lines</dt>
        <dd>{ids.length}</dd>
      </div>
      {SUMMARY_ORDER.map((state) => (
        <div key={state} className={styles.summaryItem} data-state={state} data-nonzero={(counts.get(state) ?? 0) > 0 || undefined}>
          <dt>{state}</dt>
          <dd>{counts.get(state) ?? 0}</dd>
        </div>
      ))}
      <div className={styles.summaryItem} data-state="stale" data-nonzero={stale > 0 || undefined}>
        <dt>stale</dt>
        <dd>{stale}</dd>
      </div>
    </dl>
  );
}
