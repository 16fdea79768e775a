'use client';

import { memo, useMemo, useState } from 'react';
import type { AlarmRecord, AlarmSeverity } from '@lm/protocol';
import { byPriority, SEVERITIES_DESC, SEVERITY_RANK } from '../../lib/alarm-store';
import { formatClock } from '../../lib/format';
import { compareLineIds } from '../../lib/lines';
import { useAlarms } from '../../lib/realtime-context';
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
