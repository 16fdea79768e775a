'use client';

import { useEffect, useState, type FormEvent } from 'react';
import type { AlarmRecord } from '@lm/protocol';
import { apiJson } from '../../lib/api';
import { sendAlarmCommand, type CommandOutcome } from '../../lib/commands';
import { formatClock } from '../../lib/format';
import { canCommand, useAlarms, useConnection, useServices } from '../../lib/realtime-context';
import { formatAlarmValue } from './active-alarm-table';
import { metricLabel, SeverityBadge, STATE_LABELS } from './severity';
import styles from './alarms.module.css';

interface AlarmEvent {
  id: string;
  at: string;
  action: string;
  from_state: string | null;
  to_state: string | null;
  actor: string;
  actor_role: string | null;
  comment: string | null;
  value: number | null;
}
type AlarmWithEvents = AlarmRecord & { events: AlarmEvent[] };

const SHELVE_MINUTES = [15, 30, 60, 120, 240, 480, 1440];

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'short', timeStyle: 'medium', hour12: false });
const formatDateTime = (iso: string | null | undefined): string => (iso ? dateTime.format(Date.parse(iso)) : '—');

/** One alarm: its fields, its event trail (GET /api/alarms/{id}) and the acknowledge/shelve commands. */
export function AlarmDetail({ id, onClose }: { id: string; onClose: () => void }) {
  const { apiBase, auth, client } = useServices();
  const { byId } = useAlarms();
  const { connection } = useConnection();
  const live = byId.get(id);
  const [fetched, setFetched] = useState<AlarmWithEvents | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const token = auth.session?.token;

  // The trail is read again whenever the stream says the alarm changed.
  const changeKey = live
    ? `${live.state}|${live.acknowledged_at ?? ''}|${live.shelved_until ?? ''}|${live.cleared_at ?? ''}|${live.raised_at}`
    : '';
  useEffect(() => {
    if (!apiBase || !auth.ready) return;
    const ctrl = new AbortController();
    apiJson<AlarmWithEvents>(apiBase, `/api/alarms/${encodeURIComponent(id)}`, token, {}, ctrl.signal).then(
      (a) => {
        setFetched(a);
        setLoadError(null);
      },
      (err: unknown) => {
        if (!ctrl.signal.aborted) setLoadError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => ctrl.abort();
  }, [apiBase, auth.ready, token, id, changeKey]);

  // The stream's copy is the newest; the fetched one fills in until it arrives (and carries the trail).
  const alarm: AlarmRecord | null = live ?? (fetched?.id === id ? fetched : null);
  if (!alarm) return <p className={styles.muted}>{loadError ? `Could not load alarm ${id}: ${loadError}` : 'Loading…'}</p>;
  const events = fetched?.id === id ? fetched.events : [];

  return (
    <div className={styles.detail} data-testid="alarm-detail" data-alarm-id={alarm.id} data-state={alarm.state}>
      <header className={styles.detailHead}>
        <SeverityBadge severity={alarm.severity} />
        <h3 className={styles.h3}>
          Line {alarm.production_line_id} · {metricLabel(alarm.metric)}
        </h3>
        <button type="button" className={styles.closeButton} onClick={onClose} aria-label="Close the alarm details">
          ✕
        </button>
      </header>
      <p className={styles.detailMessage}>{alarm.message}</p>
      <dl className={styles.facts}>
        <dt>State</dt>
        <dd>
          <span className={styles.state} data-state={alarm.state} data-testid="detail-state">
            {STATE_LABELS[alarm.state] ?? alarm.state}
          </span>
          {alarm.active ? ' · condition active' : ' · condition cleared'}
        </dd>
        <dt>Value / limit</dt>
        <dd>
          {formatAlarmValue(alarm, alarm.value)} / {formatAlarmValue(alarm, alarm.limit)} ({alarm.limit_kind.replace('_', '-')})
        </dd>
        <dt>Raised</dt>
        <dd>{formatDateTime(alarm.raised_at)}</dd>
        {alarm.acknowledged_by ? (
          <>
            <dt>Acknowledged</dt>
            <dd data-testid="detail-acked">
              {alarm.acknowledged_by}, {formatDateTime(alarm.acknowledged_at)}
              {alarm.comment ? `: “${alarm.comment}”` : ''}
            </dd>
          </>
        ) : null}
        {alarm.state === 'shelved' ? (
          <>
            <dt>Shelved</dt>
            <dd>
              by {alarm.shelved_by} until {formatDateTime(alarm.shelved_until)}: {alarm.shelve_reason}
            </dd>
          </>
        ) : null}
        {alarm.cleared_at ? (
          <>
            <dt>Cleared</dt>
            <dd>{formatDateTime(alarm.cleared_at)}</dd>
          </>
        ) : null}
      </dl>

      <Commands
        alarm={alarm}
        allowed={canCommand(auth.session)}
        role={auth.session?.role ?? null}
        live={connection.state === 'live'}
        client={client}
      />

      <h4 className={styles.h4}>Event trail</h4>
      <ol className={styles.trail} data-testid="alarm-trail">
        {events.map((e) => (
          <li key={e.id} data-action={e.action}>
            <span className={styles.trailTime}>{formatDateTime(e.at)}</span>
            <span className={styles.trailAction}>{e.action.replace(/_/g, ' ')}</span>
            <span>
              {e.from_state && e.to_state && e.from_state !== e.to_state
                ? `${STATE_LABELS[e.from_state] ?? e.from_state} → ${STATE_LABELS[e.to_state] ?? e.to_state}`
                : ''}
            </span>
            <span className={styles.muted}>
              {e.actor}
              {e.actor_role ? ` (${e.actor_role})` : ''}
            </span>
            {e.comment ? <span className={styles.trailComment}>“{e.comment}”</span> : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

function Commands({
  alarm,
  allowed,
  role,
  live,
  client,
}: {
  alarm: AlarmRecord;
  allowed: boolean;
  role: string | null;
  live: boolean;
  client: ReturnType<typeof useServices>['client'];
}) {
  const [comment, setComment] = useState('');
  const [reason, setReason] = useState('');
  const [minutes, setMinutes] = useState(60);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<CommandOutcome | null>(null);
  useEffect(() => setOutcome(null), [alarm.id]);

  const canAck = alarm.state === 'unacknowledged' || alarm.state === 'rtn_unacknowledged';
  const canShelve = alarm.state !== 'shelved' && alarm.state !== 'normal' && alarm.state !== 'out_of_service';
  const disabled = !allowed || !live || busy;
  const hint = !allowed
    ? `Acknowledge and shelve need the engineer or admin role (${role ? `signed in as ${role}` : 'not signed in'}).`
    : !live
      ? 'Not live: commands are not queued. Wait for the connection.'
      : null;

  const run = async (p: Promise<CommandOutcome>): Promise<void> => {
    setBusy(true);
    setOutcome(null);
    const o = await p;
    setOutcome(o);
    setBusy(false);
    return undefined;
  };
  const ack = (e: FormEvent): void => {
    e.preventDefault();
    void run(sendAlarmCommand(client, 'alarm_ack', { alarm_id: alarm.id, ...(comment.trim() ? { comment: comment.trim() } : {}) })).then(
      () => setComment(''),
    );
  };
  const shelve = (e: FormEvent): void => {
    e.preventDefault();
    void run(sendAlarmCommand(client, 'alarm_shelve', { alarm_id: alarm.id, duration_minutes: minutes, reason: reason.trim() })).then(() =>
      setReason(''),
    );
  };

  return (
    <div className={styles.commands}>
      {hint ? (
        <p className={styles.hint} data-testid="command-hint" role="note">
          {hint}
        </p>
      ) : null}
      <form onSubmit={ack} className={styles.commandForm}>
        <label className={styles.grow}>
          Comment{alarm.comment_required ? ' (required)' : ''}
          <input
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            maxLength={1000}
            required={alarm.comment_required}
            disabled={disabled || !canAck}
            data-testid="ack-comment"
          />
        </label>
        <button
          type="submit"
          className={styles.primaryButton}
          disabled={disabled || !canAck || (alarm.comment_required && !comment.trim())}
          data-testid="ack-button"
          title={hint ?? undefined}
        >
          Acknowledge
        </button>
      </form>
      {alarm.state === 'shelved' ? (
        <div className={styles.commandForm}>
          <button
            type="button"
            className={styles.button}
            disabled={disabled}
            onClick={() => void run(sendAlarmCommand(client, 'alarm_unshelve', { alarm_id: alarm.id }))}
            data-testid="unshelve-button"
          >
            Unshelve
          </button>
        </div>
      ) : (
        <form onSubmit={shelve} className={styles.commandForm}>
          <label className={styles.grow}>
            Shelve reason
            <input
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              maxLength={1000}
              required
              disabled={disabled || !canShelve}
              data-testid="shelve-reason"
            />
          </label>
          <label>
            For
            <select
              value={minutes}
              onChange={(e) => setMinutes(Number(e.target.value))}
              disabled={disabled || !canShelve}
              data-testid="shelve-minutes"
            >
              {SHELVE_MINUTES.map((m) => (
                <option key={m} value={m}>
                  {m < 60 ? `${m} min` : `${m / 60} h`}
                </option>
              ))}
            </select>
          </label>
          <button
            type="submit"
            className={styles.button}
            disabled={disabled || !canShelve || !reason.trim()}
            data-testid="shelve-button"
            title={hint ?? undefined}
          >
            Shelve
          </button>
        </form>
      )}
      {busy ? <p className={styles.muted}>Sending…</p> : null}
      {outcome ? (
        <p className={styles.outcome} data-ok={outcome.ok} data-testid="command-outcome" role="status">
          {outcome.ok ? '✓ ' : '✕ '}
          {outcome.message}
        </p>
      ) : null}
    </div>
  );
}
