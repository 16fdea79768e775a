import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AlarmLimitKind, AlarmSeverity, AlarmState } from '@lm/protocol';
import type { DataSource, EntityManager } from 'typeorm';
import type { AlarmRule } from './alarm-engine';
import type { Activation, OpenAlarm } from './alarm-kpis';

const OPEN = `state NOT IN ('normal', 'out_of_service')`;

/** An `alarms` row as PostgreSQL returns it. */
export interface AlarmRow {
  id: string;
  line_id: string;
  metric: string;
  limit_kind: AlarmLimitKind;
  severity: AlarmSeverity;
  message: string;
  state: AlarmState;
  active: boolean;
  value: number;
  limit: number;
  comment_required: boolean;
  raised_at: Date;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  comment: string | null;
  shelved_until: Date | null;
  shelved_by: string | null;
  shelve_reason: string | null;
  cleared_at: Date | null;
  closed_at: Date | null;
}

export interface AlarmEventRow {
  id: string;
  alarm_id: string | null;
  line_id: string;
  at: Date;
  action: string;
  from_state: AlarmState | null;
  to_state: AlarmState | null;
  actor: string;
  actor_role: string | null;
  comment: string | null;
  value: number | null;
  details: unknown;
}

export type NewAlarmEvent = Omit<AlarmEventRow, 'id' | 'details'> & { details?: unknown };

const PATCHABLE = [
  'state',
  'active',
  'value',
  'acknowledged_by',
  'acknowledged_at',
  'comment',
  'shelved_until',
  'shelved_by',
  'shelve_reason',
  'cleared_at',
  'closed_at',
] as const;
export type AlarmPatch = Partial<Pick<AlarmRow, (typeof PATCHABLE)[number]>>;

export type NewAlarm = Pick<AlarmRow, 'line_id' | 'metric' | 'limit_kind' | 'severity' | 'message' | 'value' | 'limit' | 'comment_required' | 'raised_at'>;

/** Work inside one transaction: rows are locked before they are changed, so concurrent writers serialise. */
export class AlarmTx {
  constructor(private readonly m: EntityManager) {}

  async lockById(id: string): Promise<AlarmRow | null> {
    const rows: AlarmRow[] = await this.m.query(`SELECT * FROM alarms WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async lockOpenBySource(lineId: string, metric: string, kind: string): Promise<AlarmRow | null> {
    const rows: AlarmRow[] = await this.m.query(
      `SELECT * FROM alarms WHERE line_id = $1 AND metric = $2 AND limit_kind = $3 AND ${OPEN} FOR UPDATE`,
      [lineId, metric, kind],
    );
    return rows[0] ?? null;
  }

  lockOpenOfLine(lineId: string, states: readonly AlarmState[]): Promise<AlarmRow[]> {
    return this.m.query(`SELECT * FROM alarms WHERE line_id = $1 AND state = ANY($2) ORDER BY id FOR UPDATE`, [lineId, states]);
  }

  async insertAlarm(a: NewAlarm): Promise<AlarmRow> {
    const rows: AlarmRow[] = await this.m.query(
      `INSERT INTO alarms (line_id, metric, limit_kind, severity, message, state, active, value, "limit", comment_required, raised_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'unacknowledged', true, $6, $7, $8, $9, now()) RETURNING *`,
      [a.line_id, a.metric, a.limit_kind, a.severity, a.message, a.value, a.limit, a.comment_required, a.raised_at],
    );
    return rows[0];
  }

  /** Conditional on the state the caller saw: null when someone else changed it first. */
  async updateAlarm(id: string, fromState: AlarmState, patch: AlarmPatch): Promise<AlarmRow | null> {
    const cols = PATCHABLE.filter((c) => c in patch);
    const sets = cols.map((c, i) => `${c} = $${i + 3}`);
    const rows: [AlarmRow[], number] = await this.m.query(
      `UPDATE alarms SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 AND state = $2 RETURNING *`,
      [id, fromState, ...cols.map((c) => patch[c])],
    );
    // TypeORM's postgres driver returns [rows, count] for UPDATE ... RETURNING.
    return rows[0][0] ?? null;
  }

  async insertEvent(e: NewAlarmEvent): Promise<void> {
    await this.m.query(
      `INSERT INTO alarm_events (alarm_id, line_id, at, action, from_state, to_state, actor, actor_role, comment, value, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [e.alarm_id, e.line_id, e.at, e.action, e.from_state, e.to_state, e.actor, e.actor_role, e.comment, e.value, e.details === undefined ? null : JSON.stringify(e.details)],
    );
  }

  rulesOfLine(lineId: string): Promise<RuleRow[]> {
    return this.m.query(`SELECT * FROM alarm_rules WHERE line_id = $1 ORDER BY metric, limit_kind FOR UPDATE`, [lineId]);
  }

  async replaceRules(lineId: string, rules: AlarmRule[], actor: string, at: Date): Promise<void> {
    await this.m.query(`DELETE FROM alarm_rules WHERE line_id = $1`, [lineId]);
    if (rules.length) await insertRules(this.m, rules, actor, at);
  }
}

/** An `alarm_rules` row as PostgreSQL returns it. */
export interface RuleRow {
  id: string;
  line_id: string;
  metric: string;
  limit_kind: AlarmLimitKind;
  limit: number;
  severity: AlarmSeverity;
  deadband: number;
  on_delay_s: number;
  off_delay_s: number;
  enabled: boolean;
  comment_required: boolean;
  updated_at: Date;
  updated_by: string | null;
}

async function insertRules(m: EntityManager, rules: AlarmRule[], actor: string | null, at: Date): Promise<void> {
  // One statement per call: arrays unnested in parallel.
  await m.query(
    `INSERT INTO alarm_rules (line_id, metric, limit_kind, "limit", severity, deadband, on_delay_s, off_delay_s, enabled, comment_required, updated_at, updated_by)
     SELECT l, m, k, lim, s, d, ond, offd, e, c, $11, $12
     FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::float8[], $7::float8[], $8::float8[], $9::bool[], $10::bool[])
       AS t(l, m, k, lim, s, d, ond, offd, e, c)
     ON CONFLICT (line_id, metric, limit_kind) DO NOTHING`,
    [
      rules.map((r) => r.lineId),
      rules.map((r) => r.metric),
      rules.map((r) => r.kind),
      rules.map((r) => r.limit),
      rules.map((r) => r.severity),
      rules.map((r) => r.deadband),
      rules.map((r) => r.onDelayS),
      rules.map((r) => r.offDelayS),
      rules.map((r) => r.enabled),
      rules.map((r) => r.commentRequired),
      at,
      actor,
    ],
  );
}

export const ruleFromRow = (r: RuleRow): AlarmRule => ({
  lineId: r.line_id,
  metric: r.metric as AlarmRule['metric'],
  kind: r.limit_kind,
  limit: r.limit,
  severity: r.severity,
  deadband: r.deadband,
  onDelayS: r.on_delay_s,
  offDelayS: r.off_delay_s,
  enabled: r.enabled,
  commentRequired: r.comment_required,
});

export interface AlarmListQuery {
  states?: AlarmState[];
  lineId?: string;
  limit: number;
  /** Keyset: rows strictly before this (raised_at, id) in the (raised_at DESC, id DESC) order. */
  before?: { raisedAt: Date; id: string };
}

/** The only code of the alarm feature that touches SQL. */
@Injectable()
export class AlarmsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  transaction<T>(fn: (tx: AlarmTx) => Promise<T>): Promise<T> {
    return this.ds.transaction('READ COMMITTED', (m) => fn(new AlarmTx(m)));
  }

  async findById(id: string): Promise<AlarmRow | null> {
    const rows: AlarmRow[] = await this.ds.query(`SELECT * FROM alarms WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  events(alarmId: string): Promise<AlarmEventRow[]> {
    return this.ds.query(`SELECT * FROM alarm_events WHERE alarm_id = $1 ORDER BY id`, [alarmId]);
  }

  list(q: AlarmListQuery): Promise<AlarmRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.states) {
      params.push(q.states);
      where.push(`state = ANY($${params.length})`);
    }
    if (q.lineId !== undefined) {
      params.push(q.lineId);
      where.push(`line_id = $${params.length}`);
    }
    if (q.before) {
      params.push(q.before.raisedAt, q.before.id);
      where.push(`(raised_at, id) < ($${params.length - 1}, $${params.length}::bigint)`);
    }
    params.push(q.limit);
    return this.ds.query(
      `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }

  openAlarms(lineIds?: string[]): Promise<AlarmRow[]> {
    return lineIds
      ? this.ds.query(`SELECT * FROM alarms WHERE ${OPEN} AND line_id = ANY($1) ORDER BY raised_at, id`, [lineIds])
      : this.ds.query(`SELECT * FROM alarms WHERE ${OPEN} ORDER BY raised_at, id`);
  }

  async shelvedDue(now: Date): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(`SELECT id FROM alarms WHERE state = 'shelved' AND shelved_until <= $1 ORDER BY id`, [now]);
    return rows.map((r) => r.id);
  }

  async activations(from: Date, to: Date): Promise<Activation[]> {
    const rows: { at: Date; line_id: string; metric: string; limit_kind: AlarmLimitKind; severity: AlarmSeverity }[] = await this.ds.query(
      `SELECT e.at, a.line_id, a.metric, a.limit_kind, a.severity
       FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id
       WHERE e.action IN ('raise', 'reactivate') AND e.to_state = 'unacknowledged' AND e.at >= $1 AND e.at < $2`,
      [from, to],
    );
    return rows.map((r) => ({ at: r.at.getTime(), lineId: r.line_id, metric: r.metric, kind: r.limit_kind, severity: r.severity }));
  }

  async openForKpis(): Promise<OpenAlarm[]> {
    const rows = await this.openAlarms();
    return rows.map((r) => ({ id: r.id, lineId: r.line_id, metric: r.metric, kind: r.limit_kind, state: r.state, active: r.active, raisedAt: r.raised_at.getTime() }));
  }

  // ---------- rules ----------

  async rules(lineId?: string): Promise<RuleRow[]> {
    return lineId === undefined
      ? this.ds.query(`SELECT * FROM alarm_rules ORDER BY line_id, metric, limit_kind`)
      : this.ds.query(`SELECT * FROM alarm_rules WHERE line_id = $1 ORDER BY metric, limit_kind`, [lineId]);
  }

  async linesWithRules(): Promise<Set<string>> {
    const rows: { line_id: string }[] = await this.ds.query(`SELECT DISTINCT line_id FROM alarm_rules`);
    return new Set(rows.map((r) => r.line_id));
  }

  /** Seeds default rules (keeps any that exist). */
  async insertRules(rules: AlarmRule[], at: Date): Promise<void> {
    if (rules.length) await insertRules(this.ds.manager, rules, 'system', at);
  }
}
