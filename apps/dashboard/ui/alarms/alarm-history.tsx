'use client';

import { memo, useCallback, useEffect, useState } from 'react';
import type { AlarmRecord } from '@lm/protocol';
import { apiJson } from '../../lib/api';
import { formatClock } from '../../lib/format';
import { useServices } from '../../lib/realtime-context';
import { formatAlarmValue } from './active-alarm-table';
import { metricLabel, SeverityBadge, STATE_LABELS } from './severity';
import styles from './alarms.module.css';

const PAGE = 25;
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'short', timeStyle: 'medium', hour12: false });

/** Every alarm, newest first, a page at a time (keyset cursor from GET /api/alarms). */
export const AlarmHistory = memo(function AlarmHistory({
  selected,
  onSelect,
}: {
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const { apiBase, auth } = useServices();
  const token = auth.session?.token;
  const [state, setState] = useState('');
  const [line, setLine] = useState('');
  const [items, setItems] = useState<AlarmRecord[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  const query = useCallback(
    (after: string | null): string => {
      const q = new URLSearchParams({ limit: String(PAGE) });
      if (state) q.set('state', state);
      if (line.trim()) q.set('line', line.trim());
      if (after) q.set('cursor', after);
      return `/api/alarms?${q.toString()}`;
    },
    [state, line],
  );

  useEffect(() => {
    if (!apiBase || !auth.ready) return;
    const ctrl = new AbortController();
    setLoading(true);
    apiJson<{ items: AlarmRecord[]; next_cursor: string | null }>(apiBase, query(null), token, {}, ctrl.signal).then(
      (page) => {
        setItems(page.items);
        setCursor(page.next_cursor);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (ctrl.signal.aborted) return;
        setError(err instanceof Error ? err.message : String(err));
        setLoading(false);
      },
    );
    return () => ctrl.abort();
  }, [apiBase, auth.ready, token, query, reload]);

  const more = (): void => {
    if (!apiBase || !cursor) return;
    setLoading(true);
    apiJson<{ items: AlarmRecord[]; next_cursor: string | null }>(apiBase, query(cursor), token).then(
      (page) => {
        setItems((prev) => [...prev, ...page.items]);
        setCursor(page.next_cursor);
        setLoading(false);
      },
      (err: unknown) => {
        setError(err instanceof Error ? err.message : String(err));
        setLoading(false);
      },
    );
  };

  return (
    <>
      <div className={styles.filters}>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value)} data-testid="history-state">
            <option value="">All</option>
            <option value="open">Open</option>
            <option value="normal,out_of_service">Closed</option>
            {Object.keys(STATE_LABELS).map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Line
          <input value={line} onChange={(e) => setLine(e.target.value)} size={6} data-testid="history-line" />
        </label>
        <button type="button" className={styles.button} onClick={() => setReload((n) => n + 1)} data-testid="history-refresh">
          Refresh
        </button>
        {error ? <span className={styles.error}>{error}</span> : null}
      </div>
      <div className={styles.tableWrap}>
        <table className={styles.table} data-testid="alarm-history">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Line</th>
              <th>Metric</th>
              <th>Message</th>
              <th data-numeric>Value</th>
              <th>Raised</th>
              <th>Cleared</th>
              <th>Acknowledged by</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr
                key={a.id}
                className={styles.row}
                data-testid="history-row"
                data-state={a.state}
                aria-selected={a.id === selected}
                tabIndex={0}
                onClick={() => onSelect(a.id)}
                onKeyDown={(e) => e.key === 'Enter' && onSelect(a.id)}
              >
                <td>
                  <SeverityBadge severity={a.severity} />
                </td>
                <td>{a.production_line_id}</td>
                <td>{metricLabel(a.metric)}</td>
                <td className={styles.message}>{a.message}</td>
                <td data-numeric>{formatAlarmValue(a, a.value)}</td>
                <td data-numeric>{dateTime.format(Date.parse(a.raised_at))}</td>
                <td data-numeric>{a.cleared_at ? formatClock(a.cleared_at) : '—'}</td>
                <td>{a.acknowledged_by ?? '—'}</td>
                <td>
                  <span className={styles.state} data-state={a.state}>
                    {STATE_LABELS[a.state] ?? a.state}
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!loading && items.length === 0 ? <p className={styles.empty}>No alarms recorded.</p> : null}
      </div>
      <div className={styles.pager}>
        <span className={styles.muted} data-testid="history-count">
          {items.length} shown
        </span>
        {cursor ? (
          <button type="button" className={styles.button} onClick={more} disabled={loading} data-testid="history-more">
            {loading ? 'Loading…' : `Load ${PAGE} more`}
          </button>
        ) : (
          <span className={styles.muted}>{loading ? 'Loading…' : 'End of history'}</span>
        )}
      </div>
    </>
  );
});
