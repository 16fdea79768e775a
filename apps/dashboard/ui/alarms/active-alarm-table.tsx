'use client';

import { memo, useMemo, useState } from 'react';
import type { AlarmRecord, AlarmSeverity, BulkAcknowledgeResult } from '@lm/protocol';
import { byPriority, SEVERITIES_DESC, SEVERITY_RANK } from '../../lib/alarm-store';
import { apiJson } from '../../lib/api';
import { formatClock } from '../../lib/format';
import { compareLineIds } from '../../lib/lines';
import { canCommand, useAlarms, useServices } from '../../lib/realtime-context';
import { metricLabel, metricUnit, SeverityBadge, STATE_LABELS } from './severity';
import styles from './alarms.module.css';

type SortKey = 'severity' | 'line' | 'metric' | 'message' | 'value' | 'limit' | 'raised_at' | 'state';

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'severity', label: 'Severity' },
  { key: 'line', label: 'Line' },
  { key: 'metric', label: 'Metric' },
  { key: 'message', label: 'Message' },
  { key: 'value', label: 'Value', numeric: true },
  { key: 'limit', label: 'Limit', numeric: true },
  { key: 'raised_at', label: 'Raised at' },
  { key: 'state', label: 'State' },
];

const COMPARE: Record<SortKey, (a: AlarmRecord, b: AlarmRecord) => number> = {
  severity: (a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity],
  line: (a, b) => compareLineIds(a.production_line_id, b.production_line_id),
  metric: (a, b) => a.metric.localeCompare(b.metric, 'en', { numeric: true }),
  message: (a, b) => a.message.localeCompare(b.message),
  value: (a, b) => a.value - b.value,
  limit: (a, b) => a.limit - b.limit,
  raised_at: (a, b) => Date.parse(a.raised_at) - Date.parse(b.raised_at),
  state: (a, b) => a.state.localeCompare(b.state),
};

export function formatAlarmValue(a: Pick<AlarmRecord, 'metric'>, v: number): string {
  const decimals = a.metric === 'diameter' ? 3 : a.metric === 'data' ? 0 : 1;
  return `${v.toFixed(decimals)} ${metricUnit(a.metric)}`;
}

/** The open alarms, sortable by any column and filterable by severity, line, state and text. */
export const ActiveAlarmTable = memo(function ActiveAlarmTable({
  selected,
  onSelect,
}: {
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const { open, loaded } = useAlarms();
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean } | null>(null);
  const [severity, setSeverity] = useState<AlarmSeverity | ''>('');
  const [line, setLine] = useState('');
  const [state, setState] = useState('');
  const [text, setText] = useState('');

  const all = useMemo(() => [...open.values()], [open]);
  const lines = useMemo(() => [...new Set(all.map((a) => a.production_line_id))].sort(compareLineIds), [all]);
  const rows = useMemo(() => {
    const q = text.trim().toLowerCase();
    const filtered = all.filter(
      (a) =>
        (!severity || a.severity === severity) &&
        (!line || a.production_line_id === line) &&
        (!state || a.state === state) &&
        (!q || `${a.message} ${a.metric} ${a.production_line_id}`.toLowerCase().includes(q)),
    );
    if (!sort) return filtered.sort(byPriority);
    const cmp = COMPARE[sort.key];
    // Ties keep priority order, so equal keys do not shuffle between frames.
    return filtered.sort((a, b) => (sort.desc ? -cmp(a, b) : cmp(a, b)) || byPriority(a, b));
  }, [all, severity, line, state, text, sort]);

  const toggleSort = (key: SortKey): void =>
    setSort((s) =>
      s?.key === key ? (s.desc ? { key, desc: false } : null) : { key, desc: key === 'severity' || key === 'raised_at' || key === 'value' },
    );

  return (
    <>
      <div className={styles.filters} role="search">
        <label>
          Severity
          <select value={severity} onChange={(e) => setSeverity(e.target.value as AlarmSeverity | '')} data-testid="filter-severity">
            <option value="">All</option>
            {SEVERITIES_DESC.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Line
          <select value={line} onChange={(e) => setLine(e.target.value)} data-testid="filter-line">
            <option value="">All</option>
            {lines.map((l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          State
          <select value={state} onChange={(e) => setState(e.target.value)} data-testid="filter-state">
            <option value="">All open</option>
            {['unacknowledged', 'rtn_unacknowledged', 'acknowledged', 'shelved', 'suppressed'].map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
        </label>
        <label className={styles.grow}>
          Search
          <input
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="message, metric, line"
            data-testid="filter-text"
          />
        </label>
        <span className={styles.muted} data-testid="active-count">
          {rows.length} of {all.length}
        </span>
      </div>
      <BulkAcknowledge shown={rows} />
      <div className={styles.tableWrap}>
        <table className={styles.table} data-testid="active-alarms">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  aria-sort={sort?.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                  data-numeric={c.numeric || undefined}
                >
                  <button type="button" className={styles.sortButton} onClick={() => toggleSort(c.key)} data-testid={`sort-${c.key}`}>
                    {c.label}
                    <span aria-hidden className={styles.sortMark}>
                      {sort?.key === c.key ? (sort.desc ? '▼' : '▲') : ''}
                    </span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <AlarmRow key={a.id} alarm={a} selected={a.id === selected} onSelect={onSelect} />
            ))}
          </tbody>
        </table>
        {rows.length === 0 ? (
          <p className={styles.empty} data-testid="no-active-alarms">
            {!loaded ? 'Waiting for the server…' : all.length ? 'No alarm matches the filters.' : 'No active alarms.'}
          </p>
        ) : null}
      </div>
    </>
  );
});

const UNACKNOWLEDGED = new Set(['unacknowledged', 'rtn_unacknowledged']);

/**
 * A flood: every unacknowledged alarm the filters show, acknowledged in one request (engineers and
 * admins). Alarms that need a comment get the one typed here; without it they stay, and the outcome
 * says so. The table follows the live stream.
 */
function BulkAcknowledge({ shown }: { shown: AlarmRecord[] }) {
  const { apiBase, auth } = useServices();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const pending = shown.filter((a) => UNACKNOWLEDGED.has(a.state));
  if (!canCommand(auth.session) || (pending.length === 0 && !outcome)) return null;
  const needComment = pending.filter((a) => a.comment_required).length;

  const acknowledge = (): void => {
    if (!apiBase || pending.length === 0) return;
    setBusy(true);
    setOutcome(null);
    const body = { alarm_ids: pending.slice(0, 500).map((a) => a.id), ...(comment.trim() ? { comment: comment.trim() } : {}) };
    apiJson<BulkAcknowledgeResult>(apiBase, '/api/alarms/ack', auth.session?.token, { method: 'POST', body: JSON.stringify(body) })
      .then((r) => {
        const failed = r.results.filter((x) => !x.ok);
        const why = failed.length ? `; ${failed.length} not: ${failed[0].message}` : '';
        setOutcome({ ok: failed.length === 0, text: `Acknowledged ${r.acknowledged}${why}` });
        if (failed.length === 0) setComment('');
      })
      .catch((err: unknown) => setOutcome({ ok: false, text: err instanceof Error ? err.message : String(err) }))
      .finally(() => setBusy(false));
  };

  return (
    <div className={styles.bulk} data-testid="bulk-ack">
      {pending.length > 0 ? (
        <>
          <input
            type="text"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            placeholder={needComment ? `Comment (required by ${needComment})` : 'Comment (optional)'}
            maxLength={1000}
            aria-label="Comment for the acknowledgement"
            data-testid="bulk-ack-comment"
          />
          <button type="button" className={styles.primaryButton} disabled={busy} onClick={acknowledge} data-testid="bulk-ack-button">
            {busy ? 'Acknowledging…' : `Acknowledge ${pending.length} shown`}
          </button>
        </>
      ) : null}
      {outcome ? (
        <span className={styles.outcome} data-ok={outcome.ok} role="status" data-testid="bulk-ack-outcome">
          {outcome.text}
        </span>
      ) : null}
    </div>
  );
}

// One row; memoised on the record object, which the store replaces only when the alarm changed.
const AlarmRow = memo(function AlarmRow({
  alarm: a,
  selected,
  onSelect,
}: {
  alarm: AlarmRecord;
  selected: boolean;
  onSelect: (id: string) => void;
}) {
  return (
    <tr
      className={styles.row}
      data-testid={`alarm-row-${a.id}`}
      data-state={a.state}
      data-sev={a.severity}
      data-line={a.production_line_id}
      aria-selected={selected}
      tabIndex={0}
      onClick={() => onSelect(a.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onSelect(a.id);
        }
      }}
    >
      <td>
        <SeverityBadge severity={a.severity} />
      </td>
      <td>{a.production_line_id}</td>
      <td>{metricLabel(a.metric)}</td>
      <td className={styles.message}>{a.message}</td>
      <td data-numeric>{formatAlarmValue(a, a.value)}</td>
      <td data-numeric>{formatAlarmValue(a, a.limit)}</td>
      <td data-numeric>{formatClock(a.raised_at)}</td>
      <td>
        <span className={styles.state} data-state={a.state} data-testid="alarm-state">
          {STATE_LABELS[a.state] ?? a.state}
        </span>
      </td>
    </tr>
  );
});
