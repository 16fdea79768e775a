import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  ALARM_STATES,
  OPEN_ALARM_STATES,
  STALE_METRIC,
  type AlarmRecord,
  type AlarmState,
  type BulkAcknowledgeResult,
  type LineState,
  type TelemetryReading,
} from '@lm/protocol';
import type { Principal } from '../auth/principal';
import { LINE_OWNERSHIP, type LineOwnership } from '../cluster/line-ownership';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LinesService } from '../lines/lines.service';
import { ALARM_CLOCK, type AlarmClock } from './alarm-clock';
import { AlarmEngine, type AlarmRule, type ConditionChange } from './alarm-engine';
import { AlarmError, AlarmErrorCode } from './alarm-errors';
import { ALARM_PUBLISHER, type AlarmPublisher } from './alarm-publisher';
import { type AlarmAction, type AlarmEventType, transition } from './alarm-state-machine';
import { type AlarmEventRow, type AlarmPatch, type AlarmRow, type AlarmTx, AlarmsRepository, ruleFromRow } from './alarms.repository';
import { defaultRules } from './default-rules';

/** The answer to a person's command: the whole record now, and whether this command changed it. */
export interface AlarmCommandResult {
  alarm: AlarmRecord;
  changed: boolean;
  /** Truthful either way: "acknowledged" or "already acknowledged", "shelved" or "already shelved"... */
  message: string;
}

export interface AlarmEventView {
  id: string;
  at: string;
  action: string;
  from_state: AlarmState | null;
  to_state: AlarmState | null;
  actor: string;
  actor_role: string | null;
  comment: string | null;
  value: number | null;
}

export interface AlarmPage {
  items: AlarmRecord[];
  /** Opaque; pass as `cursor` for the next page. Null on the last page. */
  next_cursor: string | null;
}

export interface AlarmListFilter {
  /** A state, `open` (every open state), or several separated by commas. */
  state?: string;
  line?: string;
  limit?: number;
  cursor?: string;
}

interface Actor {
  username: string;
  role: string | null;
}
const SYSTEM: Actor = { username: 'system', role: null };

const UNITS: Record<string, string> = { diameter: 'mm', line_speed: 'm/min', melt_pressure: 'bar', screw_speed: 'rpm' };
const KIND_WORDS: Record<string, string> = { high_high: 'high-high', high: 'high', low: 'low', low_low: 'low-low' };

function alarmMessage(rule: AlarmRule, value: number): string {
  if (rule.kind === 'stale') return `Line ${rule.lineId}: no data for ${value} s (limit ${rule.limit} s)`;
  const unit = rule.metric.startsWith('zone_') ? '°C' : (UNITS[rule.metric] ?? '');
  const what = rule.metric.startsWith('zone_') ? `zone ${rule.metric.slice(5)} temperature` : rule.metric.replace('_', ' ');
  const cmp = rule.kind.startsWith('high') ? '>' : '<';
  return `Line ${rule.lineId}: ${what} ${KIND_WORDS[rule.kind]} ${value} ${unit} ${cmp} ${rule.limit} ${unit}`.replace(/ {2,}/g, ' ');
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toAlarmRecord(r: AlarmRow): AlarmRecord {
  return {
    id: r.id,
    production_line_id: r.line_id,
    metric: r.metric as AlarmRecord['metric'],
    limit_kind: r.limit_kind,
    message: r.message,
    severity: r.severity,
    state: r.state,
    active: r.active,
    value: r.value,
    limit: r.limit,
    raised_at: r.raised_at.toISOString(),
    acknowledged_by: r.acknowledged_by,
    acknowledged_at: iso(r.acknowledged_at),
    comment: r.comment,
    shelved_until: iso(r.shelved_until),
    shelved_by: r.shelved_by,
    shelve_reason: r.shelve_reason,
    cleared_at: iso(r.cleared_at),
    comment_required: r.comment_required,
  };
}

const toEventView = (e: AlarmEventRow): AlarmEventView => ({
  id: e.id,
  at: e.at.toISOString(),
  action: e.action,
  from_state: e.from_state,
  to_state: e.to_state,
  actor: e.actor,
  actor_role: e.actor_role,
  comment: e.comment,
  value: e.value,
});

const ID = /^[1-9]\d{0,17}$/;
export const MAX_SHELVE_MINUTES = 7 * 24 * 60;
const RULE_RELOAD_MS = 30_000;

/**
 * Alarms (DESIGN.md section 7): evaluates live readings against the rules (in memory, synchronously),
 * persists every transition with its alarm_events row in one transaction (serialised, off the ingest
 * path), publishes each committed change, and serves people's commands with role checks.
 * The database is the truth: every change locks its row first, so several api instances and
 * concurrent people cannot double-apply a transition.
 */
@Injectable()
export class AlarmsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AlarmsService.name);
  private readonly engine = new AlarmEngine();
  private queue: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private rulesLoadedAt = 0;
  private rules: AlarmRule[] = [];

  constructor(
    private readonly repo: AlarmsRepository,
    private readonly lines: LinesService,
    @Inject(ALARM_PUBLISHER) private readonly publisher: AlarmPublisher,
    @Inject(ALARM_CLOCK) private readonly clock: AlarmClock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LINE_OWNERSHIP) private readonly ownership: LineOwnership,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // LinesModule (imported by ours) bootstraps first, so the demo lines exist by now.
    if (this.config.demo) await this.seedDefaultRules();
    await this.reloadRules();
    // GET /api/lines shows each line's limits; lines cannot import alarms (alarms imports lines).
    this.lines.provideLimits((lineId) =>
      this.rules
        .filter((r) => r.lineId === lineId && r.enabled && r.kind !== 'stale')
        .map((r) => ({ metric: r.metric, limit_kind: r.kind, limit: r.limit, severity: r.severity })),
    );
    for (const a of await this.repo.openAlarms()) {
      if (a.active && a.state !== 'suppressed') this.engine.markActive(a.line_id, a.metric, a.limit_kind);
    }
    // With several instances, one evaluates each line; a line that moves here starts from the database.
    this.ownership.onOwnershipGained((lineIds) => this.enqueue(() => this.adopt(lineIds)));
    // Rules edited through another instance apply here at once, not at the next periodic reload.
    this.ownership.onRulesChangedElsewhere(() => this.enqueue(() => this.reloadRules()));
    if (this.config.alarms.checkIntervalMs > 0) {
      this.timer = setInterval(() => void this.tick(), this.config.alarms.checkIntervalMs);
      this.timer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.whenIdle();
  }

  // ---------- inputs from ingest ----------

  /** One committed LIVE reading (never backfill). Synchronous and cheap: persistence is queued. */
  evaluate(lineId: string, reading: TelemetryReading): void {
    if (!this.ownership.owns(lineId)) {
      this.engine.touch(lineId, this.clock.now());
      return;
    }
    const changes = this.engine.evaluate(lineId, reading, this.clock.now());
    if (changes.length) this.enqueue(() => this.applyConditions(changes));
  }

  /**
   * A line's status changed. `stopped` suppresses its process alarms by design (not the stale-data
   * alarm). `offline` does not: a device that went away is exactly what the stale-data alarm reports,
   * and its last process alarms stay as they were. Any other state lifts suppression.
   */
  onLineStatus(lineId: string, state: LineState): void {
    // Every instance reads the retained status and keeps its engine in step; the owner writes.
    const owner = this.ownership.owns(lineId);
    if (state === 'stopped') {
      this.engine.suppress(lineId);
      if (owner) this.enqueue(() => this.systemEventOnLine(lineId, ['unacknowledged', 'acknowledged', 'rtn_unacknowledged', 'shelved'], 'suppress', true));
    } else {
      this.engine.unsuppress(lineId);
      // Also after a restart, when suppressed alarms are in the database but not in memory.
      if (owner) this.enqueue(() => this.systemEventOnLine(lineId, ['suppressed'], 'unsuppress', false));
    }
  }

  /** The periodic check: stale data, expired shelving, rules changed by another instance. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = this.clock.now();
      if (now - this.rulesLoadedAt >= RULE_RELOAD_MS) await this.reloadRules();
      const stale = this.engine.checkStale(now, (lineId) => this.ownership.owns(lineId));
      if (stale.length) this.enqueue(() => this.applyConditions(stale));
      for (const id of await this.repo.shelvedDue(new Date(now))) {
        this.enqueue(async () => {
          await this.systemEvent(id, 'shelve_expired');
        });
      }
      await this.whenIdle();
    } catch (err) {
      this.logger.error(`Alarm check failed: ${String(err)}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Resolves once every queued transition is persisted and published (tests, shutdown). */
  async whenIdle(): Promise<void> {
    for (let last: Promise<void> | null = null; last !== this.queue; ) {
      last = this.queue;
      await last;
    }
  }

  // ---------- people's commands (REST and WebSocket) ----------

  acknowledge(alarmId: string, principal: Principal, comment?: string | null): Promise<AlarmCommandResult> {
    const text = comment?.trim() || null;
    return this.command(alarmId, principal, 'acknowledge', (row) => {
      if (row.comment_required && !text) {
        throw new AlarmError(AlarmErrorCode.VALIDATION, 'A comment is required to acknowledge this alarm', ['body', 'comment']);
      }
      return { comment: text };
    });
  }

  /**
   * A flood: many alarms acknowledged in one request, each in its own transaction (one that fails, e.g.
   * needs a comment or is gone, does not hold back the others). The answer says what happened to each.
   */
  async acknowledgeMany(alarmIds: string[], principal: Principal, comment?: string | null): Promise<BulkAcknowledgeResult> {
    this.requireEngineer(principal, 'acknowledge alarms');
    const results: BulkAcknowledgeResult['results'] = [];
    for (const id of new Set(alarmIds)) {
      try {
        const r = await this.acknowledge(id, principal, comment);
        results.push({ alarm_id: id, ok: true, changed: r.changed, message: r.message, alarm: r.alarm });
      } catch (err) {
        if (!(err instanceof AlarmError)) throw err;
        results.push({ alarm_id: id, ok: false, changed: false, message: err.message, alarm: null });
      }
    }
    return { acknowledged: results.filter((r) => r.changed).length, failed: results.filter((r) => !r.ok).length, results };
  }

  async shelve(alarmId: string, principal: Principal, durationMinutes: number | undefined, reason: string | undefined): Promise<AlarmCommandResult> {
    this.requireEngineer(principal, 'shelve alarms');
    if (durationMinutes === undefined || !Number.isInteger(durationMinutes) || durationMinutes < 1 || durationMinutes > MAX_SHELVE_MINUTES) {
      throw new AlarmError(AlarmErrorCode.VALIDATION, `duration_minutes is required: an integer from 1 to ${MAX_SHELVE_MINUTES}`, ['body', 'duration_minutes']);
    }
    const why = reason?.trim();
    if (!why) throw new AlarmError(AlarmErrorCode.VALIDATION, 'A reason is required to shelve an alarm', ['body', 'reason']);
    return this.command(alarmId, principal, 'shelve', () => ({
      comment: why,
      patch: { shelved_until: new Date(this.clock.now() + durationMinutes * 60_000), shelved_by: principal.username, shelve_reason: why },
    }));
  }

  unshelve(alarmId: string, principal: Principal): Promise<AlarmCommandResult> {
    return this.command(alarmId, principal, 'unshelve', () => ({}));
  }

  // ---------- reads ----------

  /** Open alarms (every open state), for `snapshot`/`request_latest`. */
  async activeAlarms(lineIds?: string[]): Promise<AlarmRecord[]> {
    return (await this.repo.openAlarms(lineIds)).map(toAlarmRecord);
  }

  async get(alarmId: string): Promise<AlarmRecord & { events: AlarmEventView[] }> {
    const row = ID.test(alarmId) ? await this.repo.findById(alarmId) : null;
    if (!row) throw new AlarmError(AlarmErrorCode.NOT_FOUND, `Alarm ${alarmId} not found`);
    return { ...toAlarmRecord(row), events: (await this.repo.events(row.id)).map(toEventView) };
  }

  async list(f: AlarmListFilter): Promise<AlarmPage> {
    let states: AlarmState[] | undefined;
    if (f.state) {
      states = [];
      for (const s of f.state.split(',')) {
        if (s === 'open') states.push(...OPEN_ALARM_STATES);
        else if ((ALARM_STATES as readonly string[]).includes(s)) states.push(s as AlarmState);
        else throw new AlarmError(AlarmErrorCode.VALIDATION, `state must be open or one of ${ALARM_STATES.join(', ')}`, ['query', 'state']);
      }
    }
    const limit = f.limit ?? 50;
    const rows = await this.repo.list({ states, lineId: f.line, limit: limit + 1, before: f.cursor ? decodeCursor(f.cursor) : undefined });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page.map(toAlarmRecord), next_cursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  // ---------- rules ----------

  async rulesOf(lineId: string): Promise<AlarmRule[]> {
    if (!this.lines.get(lineId)) throw new AlarmError(AlarmErrorCode.NOT_FOUND, `Line ${lineId} not found`);
    return (await this.repo.rules(lineId)).map(ruleFromRow);
  }

  /** Replaces a line's rules (engineer/admin), audited; open alarms of rules that went or were disabled go out of service. */
  async replaceRules(lineId: string, principal: Principal, rules: Omit<AlarmRule, 'lineId'>[]): Promise<AlarmRule[]> {
    this.requireEngineer(principal, 'edit alarm rules');
    if (!this.lines.get(lineId)) throw new AlarmError(AlarmErrorCode.NOT_FOUND, `Line ${lineId} not found`);
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      const k = `${r.metric}/${r.kind}`;
      if (seen.has(k)) throw new AlarmError(AlarmErrorCode.VALIDATION, `duplicate rule for ${r.metric} ${r.kind}`, ['body', 'rules', i]);
      seen.add(k);
      if ((r.kind === 'stale') !== (r.metric === STALE_METRIC)) {
        throw new AlarmError(AlarmErrorCode.VALIDATION, `the stale limit kind goes with metric "${STALE_METRIC}" only`, ['body', 'rules', i, 'limit_kind']);
      }
      if (r.kind === 'stale' && r.limit <= 0) throw new AlarmError(AlarmErrorCode.VALIDATION, 'a stale limit is seconds: > 0', ['body', 'rules', i, 'limit']);
    });
    const next: AlarmRule[] = rules.map((r) => ({ ...r, lineId }));
    const at = new Date(this.clock.now());
    await this.repo.transaction(async (tx) => {
      const before = (await tx.rulesOfLine(lineId)).map(ruleFromRow);
      await tx.replaceRules(lineId, next, principal.username, at);
      await tx.insertEvent({
        alarm_id: null,
        line_id: lineId,
        at,
        action: 'rules_changed',
        from_state: null,
        to_state: null,
        actor: principal.username,
        actor_role: principal.role,
        comment: null,
        value: null,
        details: { before, after: next },
      });
    });
    await this.reloadRules();
    this.ownership.announceRulesChanged();
    const enabled = new Set(next.filter((r) => r.enabled).map((r) => `${r.metric}/${r.kind}`));
    for (const a of await this.repo.openAlarms([lineId])) {
      if (!enabled.has(`${a.metric}/${a.limit_kind}`)) {
        this.enqueue(async () => {
          await this.systemEvent(a.id, 'remove_from_service', { username: principal.username, role: principal.role });
        });
      }
    }
    await this.whenIdle();
    return next;
  }

  // ---------- internals ----------

  private async seedDefaultRules(): Promise<void> {
    const have = await this.repo.linesWithRules();
    const missing = this.lines.list().filter((l) => !have.has(l.id));
    if (!missing.length) return;
    await this.repo.insertRules(missing.flatMap((l) => defaultRules(l)), new Date(this.clock.now()));
    this.logger.log(`Demo seed: default alarm rules for lines ${missing.map((l) => l.id).join(', ')}`);
  }

  /** Takes over the evaluation of lines: their conditions as the database has them, pending delays dropped. */
  private async adopt(lineIds: string[]): Promise<void> {
    const open = await this.repo.openAlarms(lineIds);
    this.engine.resetLines(lineIds);
    for (const a of open) if (a.active && a.state !== 'suppressed') this.engine.markActive(a.line_id, a.metric, a.limit_kind);
  }

  private async reloadRules(): Promise<void> {
    this.rules = (await this.repo.rules()).map(ruleFromRow);
    this.engine.setRules(this.rules);
    this.rulesLoadedAt = this.clock.now();
  }

  private enqueue(job: () => Promise<void>): void {
    // Serialised: transitions of one source are persisted in the order the engine saw them.
    this.queue = this.queue.then(job).catch((err: unknown) => {
      this.logger.error(`Alarm transition failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    });
  }

  private requireEngineer(principal: Principal, what: string): void {
    if (principal.anonymous || (principal.role !== 'engineer' && principal.role !== 'admin')) {
      throw new AlarmError(AlarmErrorCode.FORBIDDEN, `Only engineers and admins may ${what}`);
    }
  }

  private async command(
    alarmId: string,
    principal: Principal,
    event: 'acknowledge' | 'shelve' | 'unshelve',
    prepare: (row: AlarmRow) => { comment?: string | null; patch?: AlarmPatch },
  ): Promise<AlarmCommandResult> {
    this.requireEngineer(principal, `${event} alarms`);
    if (!ID.test(alarmId)) throw new AlarmError(AlarmErrorCode.NOT_FOUND, `Alarm ${alarmId} not found`);
    const actor = { username: principal.username, role: principal.role };
    const out = await this.repo.transaction(async (tx) => {
      const row = await tx.lockById(alarmId);
      if (!row) throw new AlarmError(AlarmErrorCode.NOT_FOUND, `Alarm ${alarmId} not found`);
      const t = transition(condition(row), event);
      if (t.kind === 'rejected') throw new AlarmError(AlarmErrorCode.CONFLICT, t.reason);
      if (t.kind === 'unchanged') return { row, changed: false, message: t.reason };
      const extra = prepare(row);
      const updated = await this.applyInTx(tx, row, event, actor, { comment: extra.comment ?? null, patch: extra.patch });
      return { row: updated ?? row, changed: updated !== null, message: pastTense(event) };
    });
    const alarm = toAlarmRecord(out.row);
    if (out.changed) this.publish('alarm_update', alarm);
    return { alarm, changed: out.changed, message: out.message };
  }

  /**
   * Applies one event to a locked row: the state machine decides, the row and its alarm_events row
   * are written in the caller's transaction. Null when the machine says nothing changes.
   */
  private async applyInTx(
    tx: AlarmTx,
    row: AlarmRow,
    event: AlarmEventType,
    actor: Actor,
    opts: { value?: number; at?: Date; comment?: string | null; patch?: AlarmPatch } = {},
  ): Promise<AlarmRow | null> {
    const t = transition(condition(row), event);
    if (t.kind !== 'changed') return null;
    const at = opts.at ?? new Date(this.clock.now());
    const next = t.next;
    const patch: AlarmPatch = { state: next.state, active: next.active, ...opts.patch };
    const action: AlarmAction = t.action;
    switch (action) {
      case 'reactivate':
        if (opts.value !== undefined) patch.value = opts.value;
        patch.cleared_at = null;
        break;
      case 'clear':
        patch.cleared_at = at;
        break;
      case 'acknowledge':
        patch.acknowledged_by = actor.username;
        patch.acknowledged_at = at;
        patch.comment = opts.comment ?? null;
        break;
      case 'unshelve':
      case 'shelve_expired':
        patch.shelved_until = null;
        if (!next.acknowledged) {
          // Back as a fresh annunciation: an earlier acknowledgement no longer holds (the trail keeps it).
          patch.acknowledged_by = null;
          patch.acknowledged_at = null;
          patch.comment = null;
        }
        break;
      case 'raise':
      case 'shelve':
      case 'suppress':
      case 'unsuppress':
      case 'remove_from_service':
        break;
    }
    if (next.state === 'normal' || next.state === 'out_of_service') patch.closed_at = at;
    const updated = await tx.updateAlarm(row.id, row.state, patch);
    // The row is locked, so the conditional update cannot miss; if it ever does, roll back loudly.
    if (!updated) throw new Error(`alarm ${row.id} changed under a lock`);
    await tx.insertEvent({
      alarm_id: row.id,
      line_id: row.line_id,
      at,
      action,
      from_state: row.state,
      to_state: next.state,
      actor: actor.username,
      actor_role: actor.role,
      comment: opts.comment ?? null,
      value: opts.value ?? null,
    });
    return updated;
  }

  /** A system event on one alarm (shelving expired, rule removed). */
  private async systemEvent(alarmId: string, event: AlarmEventType, actor: Actor = SYSTEM): Promise<void> {
    const updated = await this.repo.transaction(async (tx) => {
      const row = await tx.lockById(alarmId);
      return row ? this.applyInTx(tx, row, event, actor) : null;
    });
    if (updated) this.publish('alarm_update', toAlarmRecord(updated));
  }

  /** Suppress or unsuppress the open alarms of a line (stale-data alarms are not process alarms). */
  private async systemEventOnLine(lineId: string, states: AlarmState[], event: AlarmEventType, processOnly: boolean): Promise<void> {
    const changed = await this.repo.transaction(async (tx) => {
      const out: AlarmRow[] = [];
      for (const row of await tx.lockOpenOfLine(lineId, states)) {
        if (processOnly && row.limit_kind === 'stale') continue;
        const u = await this.applyInTx(tx, row, event, SYSTEM);
        if (u) out.push(u);
      }
      return out;
    });
    for (const r of changed) this.publish('alarm_update', toAlarmRecord(r));
  }

  /** Condition changes from the engine, in order. */
  private async applyConditions(changes: ConditionChange[]): Promise<void> {
    for (const c of changes) {
      if (c.change === 'activate') await this.activate(c);
      else await this.clearCondition(c);
    }
  }

  private async activate(c: ConditionChange, attempt = 0): Promise<void> {
    const { rule } = c;
    let out: { row: AlarmRow; raised: boolean } | null;
    try {
      out = await this.repo.transaction(async (tx) => {
        const open = await tx.lockOpenBySource(rule.lineId, rule.metric, rule.kind);
        if (open) {
          const u = await this.applyInTx(tx, open, 'activate', SYSTEM, { value: c.value, at: c.at });
          return u ? { row: u, raised: false } : null;
        }
        const row = await tx.insertAlarm({
          line_id: rule.lineId,
          metric: rule.metric,
          limit_kind: rule.kind,
          severity: rule.severity,
          message: alarmMessage(rule, c.value),
          value: c.value,
          limit: rule.limit,
          comment_required: rule.commentRequired,
          raised_at: c.at,
        });
        await tx.insertEvent({
          alarm_id: row.id,
          line_id: row.line_id,
          at: c.at,
          action: 'raise',
          from_state: 'normal',
          to_state: 'unacknowledged',
          actor: SYSTEM.username,
          actor_role: null,
          comment: null,
          value: c.value,
        });
        return { row, raised: true };
      });
    } catch (err) {
      // Another api instance raised the same source a moment ago (uq_alarms_open_source): re-read once.
      if (attempt === 0 && (err as { code?: string }).code === '23505') return this.activate(c, 1);
      throw err;
    }
    if (out) this.publish(out.raised ? 'alarm' : 'alarm_update', toAlarmRecord(out.row), c.at);
  }

  private async clearCondition(c: ConditionChange): Promise<void> {
    const { rule } = c;
    const updated = await this.repo.transaction(async (tx) => {
      const open = await tx.lockOpenBySource(rule.lineId, rule.metric, rule.kind);
      return open ? this.applyInTx(tx, open, 'clear', SYSTEM, { value: c.value, at: c.at }) : null;
    });
    if (updated) this.publish('alarm_update', toAlarmRecord(updated), c.at);
  }

  private publish(type: 'alarm' | 'alarm_update', record: AlarmRecord, at?: Date): void {
    try {
      this.publisher.publish(type, record, record.production_line_id, (at ?? new Date(this.clock.now())).toISOString());
    } catch (err) {
      // Committed is committed: a failing publisher must not turn into a failed command.
      this.logger.error(`Publishing ${type} of alarm ${record.id} failed: ${String(err)}`);
    }
  }
}

const condition = (r: AlarmRow) => ({ state: r.state, active: r.active, acknowledged: r.acknowledged_at !== null });

function pastTense(e: 'acknowledge' | 'shelve' | 'unshelve'): string {
  return e === 'acknowledge' ? 'acknowledged' : e === 'shelve' ? 'shelved' : 'unshelved';
}

export function encodeCursor(r: AlarmRow): string {
  return Buffer.from(JSON.stringify([r.raised_at.toISOString(), r.id])).toString('base64url');
}

function decodeCursor(c: string): { raisedAt: Date; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string' && ID.test(v[1]) && !Number.isNaN(Date.parse(v[0]))) {
      return { raisedAt: new Date(v[0]), id: v[1] };
    }
  } catch {
    // fall through
  }
  throw new AlarmError(AlarmErrorCode.VALIDATION, 'cursor is not a cursor this server gave out', ['query', 'cursor']);
}
