import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AlarmRecord, TelemetryReading } from '@lm/protocol';
import { DataSource } from 'typeorm';
import type { AlarmRule } from '../../apps/api/src/alarms/alarm-engine';
import { AlarmError } from '../../apps/api/src/alarms/alarm-errors';
import { AlarmKpisService } from '../../apps/api/src/alarms/alarm-kpis.service';
import { AlarmsRepository } from '../../apps/api/src/alarms/alarms.repository';
import { AlarmsService } from '../../apps/api/src/alarms/alarms.service';
import type { Principal } from '../../apps/api/src/auth/principal';
import { soleInstance } from '../../apps/api/src/cluster/line-ownership';
import type { AppConfig } from '../../apps/api/src/config/app-config';
import { dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { LinesRepository } from '../../apps/api/src/lines/lines.repository';
import { LinesService } from '../../apps/api/src/lines/lines.service';
import { createTestDatabase } from '../support/database';

const T0 = Date.parse('2026-11-24T03:00:00Z');
const engineer: Principal = { username: 'erin', role: 'engineer', anonymous: false, expiresAt: null };
const engineer2: Principal = { username: 'eddie', role: 'engineer', anonymous: false, expiresAt: null };
const admin: Principal = { username: 'ada', role: 'admin', anonymous: false, expiresAt: null };
const operator: Principal = { username: 'otto', role: 'operator', anonymous: false, expiresAt: null };
const anonymous: Principal = { username: 'anonymous', role: 'operator', anonymous: true, expiresAt: null };

const rule = (over: Partial<AlarmRule>): Omit<AlarmRule, 'lineId'> => ({
  metric: 'diameter',
  kind: 'high',
  limit: 20.4,
  severity: 'medium',
  deadband: 0.1,
  onDelayS: 0,
  offDelayS: 0,
  enabled: true,
  commentRequired: false,
  ...over,
});

interface Instance {
  ds: DataSource;
  alarms: AlarmsService;
  kpis: AlarmKpisService;
  published: { type: string; record: AlarmRecord; timestamp: string }[];
}

/** One "api instance": its own pool, its own service, a shared clock (the test's). */
async function instance(url: string, clock: { now(): number }, demo = false): Promise<Instance> {
  const ds = new DataSource(dataSourceOptions(url));
  await ds.initialize();
  const config = { demo, alarms: { checkIntervalMs: 0 } } as AppConfig;
  const lines = new LinesService(new LinesRepository(ds), config);
  await lines.reload();
  const published: Instance['published'] = [];
  const repo = new AlarmsRepository(ds);
  const alarms = new AlarmsService(repo, lines, { publish: (type, record, _line, timestamp) => published.push({ type, record, timestamp }) }, clock, config, soleInstance);
  await alarms.onApplicationBootstrap();
  return { ds, alarms, kpis: new AlarmKpisService(repo, clock), published };
}

describe('alarms against PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let a: Instance;
  let b: Instance;
  let now = T0;
  const clock = { now: () => now };

  const reading = (atS: number, values: Partial<TelemetryReading>): TelemetryReading => ({
    time: new Date(T0 + atS * 1000),
    body_temperatures: null,
    diameter: null,
    line_speed: null,
    melt_pressure: null,
    screw_speed: null,
    msg_id: null,
    ...values,
  });
  /** Feeds a reading to instance `i` at clock second `s` and waits for its transitions to be stored. */
  const feed = async (i: Instance, line: string, s: number, values: Partial<TelemetryReading>): Promise<void> => {
    now = T0 + s * 1000;
    i.alarms.evaluate(line, reading(s, values));
    await i.alarms.whenIdle();
  };
  const events = async (alarmId: string): Promise<{ action: string; from_state: string; to_state: string; actor: string; comment: string | null; value: number | null }[]> =>
    a.ds.query(`SELECT action, from_state, to_state, actor, comment, value FROM alarm_events WHERE alarm_id = $1 ORDER BY id`, [alarmId]);
  const openOf = async (line: string): Promise<AlarmRecord[]> => (await a.alarms.activeAlarms([line])).filter((x) => x.production_line_id === line);
  const errorOf = async (p: Promise<unknown>): Promise<AlarmError> => {
    try {
      await p;
    } catch (e) {
      if (e instanceof AlarmError) return e;
      throw e;
    }
    throw new Error('expected an AlarmError');
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const boot = new DataSource(dataSourceOptions(db.url));
    await boot.initialize();
    await boot.query(`INSERT INTO lines (id, name, diameter_target, zone_count) SELECT g::text, 'Line ' || g, 20, 4 FROM generate_series(1, 12) g`);
    await boot.destroy();
    a = await instance(db.url, clock);
    b = await instance(db.url, clock);
  }, 60_000);

  afterAll(async () => {
    await a?.alarms.onModuleDestroy();
    await b?.alarms.onModuleDestroy();
    await a?.ds.destroy();
    await b?.ds.destroy();
    await db?.drop();
  });

  beforeEach(() => {
    a.published.length = 0;
    now = T0;
  });

  it('migrates down and up again (tables, trigger)', async () => {
    const tables = async () =>
      (await a.ds.query<{ tablename: string }[]>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'alarm%' ORDER BY 1`)).map((r) => r.tablename);
    expect(await tables()).toEqual(['alarm_events', 'alarm_rules', 'alarms']);
    // Down to just before ours (later migrations first, whoever adds them), then up again.
    const applied = async (): Promise<string[]> => (await a.ds.query<{ name: string }[]>(`SELECT name FROM migrations`)).map((r) => r.name);
    while ((await applied()).includes('Alarms1764300000000')) await a.ds.undoLastMigration();
    expect(await tables()).toEqual([]);
    expect(await a.ds.query(`SELECT 1 FROM pg_proc WHERE proname = 'alarm_events_append_only'`)).toEqual([]);
    await a.ds.runMigrations();
    expect(await tables()).toEqual(['alarm_events', 'alarm_rules', 'alarms']);
  });

  it('rules: an operator may not edit them; an engineer replaces them, audited with before and after', async () => {
    expect((await errorOf(a.alarms.replaceRules('1', operator, [rule({})]))).code).toBe('forbidden');
    expect((await errorOf(a.alarms.replaceRules('99', engineer, [rule({})]))).code).toBe('not_found');
    expect((await errorOf(a.alarms.replaceRules('1', engineer, [rule({}), rule({})]))).code).toBe('validation');
    expect((await errorOf(a.alarms.replaceRules('1', engineer, [rule({ kind: 'stale' })]))).code).toBe('validation');
    for (const line of ['1', '2', '3', '4', '5', '6', '7', '8']) {
      await a.alarms.replaceRules(line, engineer, [
        rule({}),
        rule({ kind: 'high_high', limit: 21, severity: 'critical', commentRequired: true }),
        rule({ metric: 'zone_2', limit: 210, onDelayS: 5, offDelayS: 3, deadband: 2 }),
        rule({ metric: 'data', kind: 'stale', limit: 10, severity: 'high' }),
      ]);
    }
    expect((await a.alarms.rulesOf('1')).map((r) => `${r.metric}/${r.kind}`).sort()).toEqual(['data/stale', 'diameter/high', 'diameter/high_high', 'zone_2/high']);
    const audit = await a.ds.query<{ actor: string; actor_role: string; details: unknown }[]>(`SELECT actor, actor_role, details FROM alarm_events WHERE action = 'rules_changed' AND line_id = '1'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'erin', actor_role: 'engineer', details: { before: [], after: expect.arrayContaining([expect.objectContaining({ metric: 'zone_2', onDelayS: 5 })]) } });
  });

  it('raises, is acknowledged, clears to normal: one alarm_events row per transition, the record published each time', async () => {
    await feed(a, '1', 0, { diameter: 20.3 });
    await feed(a, '1', 1, { diameter: 20.6 });
    const [raised] = await openOf('1');
    expect(raised).toMatchObject({ state: 'unacknowledged', active: true, metric: 'diameter', limit_kind: 'high', value: 20.6, limit: 20.4, severity: 'medium', raised_at: new Date(T0 + 1000).toISOString() });
    expect(raised.message).toBe('Line 1: diameter high 20.6 mm > 20.4 mm');
    expect(a.published.map((p) => [p.type, p.record.state])).toEqual([['alarm', 'unacknowledged']]);

    const ack = await a.alarms.acknowledge(raised.id, engineer, '  checking the die  ');
    expect(ack).toMatchObject({ changed: true, message: 'acknowledged', alarm: { state: 'acknowledged', acknowledged_by: 'erin', comment: 'checking the die' } });
    // Deadband 0.1: 20.35 is not back inside by enough.
    await feed(a, '1', 2, { diameter: 20.35 });
    await feed(a, '1', 3, { diameter: 20.3 });
    const done = await a.alarms.get(raised.id);
    expect(done).toMatchObject({ state: 'normal', active: false, cleared_at: new Date(T0 + 3000).toISOString() });
    expect(await events(raised.id)).toEqual([
      { action: 'raise', from_state: 'normal', to_state: 'unacknowledged', actor: 'system', comment: null, value: 20.6 },
      { action: 'acknowledge', from_state: 'unacknowledged', to_state: 'acknowledged', actor: 'erin', comment: 'checking the die', value: null },
      { action: 'clear', from_state: 'acknowledged', to_state: 'normal', actor: 'system', comment: null, value: 20.3 },
    ]);
    expect(done.events.map((e) => e.action)).toEqual(['raise', 'acknowledge', 'clear']);
    expect(a.published.map((p) => [p.type, p.record.state])).toEqual([
      ['alarm', 'unacknowledged'],
      ['alarm_update', 'acknowledged'],
      ['alarm_update', 'normal'],
    ]);

    // A re-occurrence after clearing is a new alarm.
    await feed(a, '1', 4, { diameter: 20.7 });
    const [again] = await openOf('1');
    expect(again.id).not.toBe(raised.id);
    await a.alarms.acknowledge(again.id, engineer);
    await feed(a, '1', 5, { diameter: 20 });
  });

  it('returns to normal unacknowledged, re-activates the same alarm, closes when acknowledged', async () => {
    await feed(a, '2', 0, { diameter: 20.5 });
    const [x] = await openOf('2');
    await feed(a, '2', 1, { diameter: 20 });
    expect((await a.alarms.get(x.id)).state).toBe('rtn_unacknowledged');
    await feed(a, '2', 2, { diameter: 20.5 });
    expect((await a.alarms.get(x.id)).state).toBe('unacknowledged');
    await feed(a, '2', 3, { diameter: 20 });
    const r = await a.alarms.acknowledge(x.id, admin);
    expect(r.alarm).toMatchObject({ state: 'normal', acknowledged_by: 'ada' });
    expect((await events(x.id)).map((e) => `${e.action}:${e.to_state}`)).toEqual([
      'raise:unacknowledged',
      'clear:rtn_unacknowledged',
      'reactivate:unacknowledged',
      'clear:rtn_unacknowledged',
      'acknowledge:normal',
    ]);
  });

  it('roles: operators and anonymous viewers are refused and nothing changes; a required comment is enforced', async () => {
    await feed(a, '3', 0, { diameter: 21.5 }); // high and high-high (comment required)
    const open = await openOf('3');
    const hh = open.find((o) => o.limit_kind === 'high_high');
    expect(hh?.comment_required).toBe(true);
    const before = await events(hh!.id);
    for (const who of [operator, anonymous]) {
      expect((await errorOf(a.alarms.acknowledge(hh!.id, who, 'x'))).code).toBe('forbidden');
      expect((await errorOf(a.alarms.shelve(hh!.id, who, 10, 'x'))).code).toBe('forbidden');
      expect((await errorOf(a.alarms.unshelve(hh!.id, who))).code).toBe('forbidden');
    }
    const noComment = await errorOf(a.alarms.acknowledge(hh!.id, engineer, '   '));
    expect([noComment.code, noComment.loc]).toEqual(['validation', ['body', 'comment']]);
    expect(await events(hh!.id)).toEqual(before);
    expect((await a.alarms.get(hh!.id)).state).toBe('unacknowledged');
    expect((await a.alarms.acknowledge(hh!.id, engineer, 'die heater checked')).changed).toBe(true);
    expect((await errorOf(a.alarms.acknowledge('999999', engineer))).code).toBe('not_found');
    expect((await errorOf(a.alarms.acknowledge('nope', engineer))).code).toBe('not_found');
  });

  it('acknowledging twice is one acknowledgement, and the second answer says so', async () => {
    await feed(a, '4', 0, { diameter: 20.5 });
    const [x] = await openOf('4');
    const first = await a.alarms.acknowledge(x.id, engineer, 'first');
    const second = await a.alarms.acknowledge(x.id, engineer2, 'second');
    expect([first.changed, first.message]).toEqual([true, 'acknowledged']);
    expect([second.changed, second.message, second.alarm.acknowledged_by, second.alarm.comment]).toEqual([false, 'already acknowledged', 'erin', 'first']);
    expect((await events(x.id)).filter((e) => e.action === 'acknowledge')).toHaveLength(1);
  });

  it('two engineers on two api instances acknowledge the same alarms at once: exactly one acknowledgement each', async () => {
    const ids: string[] = [];
    for (const line of ['5', '6', '7', '8']) {
      await feed(a, line, 0, { diameter: 20.5 });
      ids.push((await openOf(line))[0].id);
    }
    const results = await Promise.all(ids.flatMap((id) => [a.alarms.acknowledge(id, engineer, 'from a'), b.alarms.acknowledge(id, engineer2, 'from b')]));
    for (const id of ids) {
      const mine = results.filter((r) => r.alarm.id === id);
      expect(mine.map((r) => r.changed).sort()).toEqual([false, true]);
      const winner = mine.find((r) => r.changed)!;
      const loser = mine.find((r) => !r.changed)!;
      // Both answers tell the truth: the loser sees who won.
      expect(loser.message).toBe('already acknowledged');
      expect(loser.alarm.acknowledged_by).toBe(winner.alarm.acknowledged_by);
      const acks = (await events(id)).filter((e) => e.action === 'acknowledge');
      expect(acks).toHaveLength(1);
      expect(acks[0].actor).toBe(winner.alarm.acknowledged_by);
    }
  });

  it('shelving: hides the alarm with reason and expiry; on expiry it is back unacknowledged if active, closed if not', async () => {
    await feed(a, '9', 0, { diameter: 20 }); // no rules on line 9 yet
    await a.alarms.replaceRules('9', engineer, [rule({}), rule({ metric: 'line_speed', kind: 'low', limit: 5, severity: 'low' })]);
    await feed(a, '9', 1, { diameter: 20.6, line_speed: 4 });
    const open = await openOf('9');
    const d = open.find((o) => o.metric === 'diameter')!;
    const s = open.find((o) => o.metric === 'line_speed')!;
    await a.alarms.acknowledge(d.id, engineer);

    expect((await errorOf(a.alarms.shelve(d.id, engineer, 0, 'x'))).loc).toEqual(['body', 'duration_minutes']);
    expect((await errorOf(a.alarms.shelve(d.id, engineer, 10, ' '))).loc).toEqual(['body', 'reason']);
    const shelved = await a.alarms.shelve(d.id, engineer, 10, 'sensor being replaced');
    expect(shelved.alarm).toMatchObject({ state: 'shelved', shelved_by: 'erin', shelve_reason: 'sensor being replaced', shelved_until: new Date(now + 600_000).toISOString() });
    expect((await a.alarms.shelve(d.id, engineer2, 30, 'again')).message).toBe('already shelved');
    await a.alarms.shelve(s.id, engineer, 5, 'haul-off maintenance');
    // Shelved and never acknowledged: acknowledging it makes no sense until it is unshelved.
    expect((await errorOf(a.alarms.acknowledge(s.id, engineer))).code).toBe('conflict');
    // Shelved after its acknowledgement: acknowledging again is truthfully a no-op.
    expect((await a.alarms.acknowledge(d.id, engineer2)).message).toBe('already acknowledged');

    // The speed condition clears while shelved: it stays shelved, then expires to normal.
    await feed(a, '9', 2, { diameter: 20.6, line_speed: 6 });
    expect(await a.alarms.get(s.id)).toMatchObject({ state: 'shelved', active: false });
    now = T0 + 2000 + 5 * 60_000;
    await a.alarms.tick();
    expect((await a.alarms.get(s.id)).state).toBe('normal');
    expect((await a.alarms.get(d.id)).state).toBe('shelved');
    now = T0 + 2000 + 11 * 60_000;
    await a.alarms.tick();
    // Still active: back as a fresh annunciation, even though it was acknowledged before shelving.
    expect(await a.alarms.get(d.id)).toMatchObject({ state: 'unacknowledged', active: true, acknowledged_by: null });
    expect((await events(d.id)).map((e) => `${e.action}:${e.actor}`)).toEqual([
      'raise:system',
      'acknowledge:erin',
      'shelve:erin',
      'shelve_expired:system',
    ]);
    // Unshelve by hand.
    await a.alarms.shelve(d.id, engineer, 60, 'again');
    const un = await a.alarms.unshelve(d.id, engineer2);
    expect([un.changed, un.alarm.state]).toEqual([true, 'unacknowledged']);
    expect((await a.alarms.unshelve(d.id, engineer2)).message).toBe('not shelved');
  });

  it('suppression by design: a stopped line suppresses its process alarms (not stale), raises none, and a new one comes when it runs', async () => {
    await feed(a, '1', 0, { diameter: 20.6 });
    const [x] = (await openOf('1')).filter((o) => o.metric === 'diameter' && o.limit_kind === 'high');
    a.alarms.onLineStatus('1', 'stopped');
    await a.alarms.whenIdle();
    expect((await a.alarms.get(x.id)).state).toBe('suppressed');
    expect((await errorOf(a.alarms.acknowledge(x.id, engineer))).code).toBe('conflict');
    await feed(a, '1', 1, { diameter: 22, body_temperatures: [0, 300] });
    expect((await openOf('1')).filter((o) => o.limit_kind !== 'stale').map((o) => o.id)).toEqual([x.id]);
    // Stale data still counts while stopped.
    now = T0 + 12_000;
    await a.alarms.tick();
    const stale = (await openOf('1')).find((o) => o.limit_kind === 'stale')!;
    expect(stale).toMatchObject({ state: 'unacknowledged', metric: 'data', value: 11 });
    a.alarms.onLineStatus('1', 'running');
    await a.alarms.whenIdle();
    expect(await a.alarms.get(x.id)).toMatchObject({ state: 'normal' });
    await feed(a, '1', 13, { diameter: 20.6 });
    const after = await openOf('1');
    const fresh = after.find((o) => o.metric === 'diameter' && o.limit_kind === 'high')!;
    expect(fresh.id).not.toBe(x.id);
    // Data came back: the stale alarm returned to normal, unacknowledged.
    expect((await a.alarms.get(stale.id)).state).toBe('rtn_unacknowledged');
    expect((await events(x.id)).map((e) => e.action)).toEqual(['raise', 'suppress', 'unsuppress']);
  });

  it('a rule removed or disabled takes its open alarm out of service', async () => {
    await feed(a, '10', 0, { diameter: 20 });
    await a.alarms.replaceRules('10', engineer, [rule({}), rule({ kind: 'low', limit: 19 })]);
    await feed(a, '10', 1, { diameter: 21 });
    const [x] = await openOf('10');
    await a.alarms.replaceRules('10', admin, [rule({ enabled: false }), rule({ kind: 'low', limit: 19 })]);
    expect(await a.alarms.get(x.id)).toMatchObject({ state: 'out_of_service' });
    expect((await events(x.id)).at(-1)).toMatchObject({ action: 'remove_from_service', actor: 'ada' });
  });

  it('alarm_events is append-only in the database: UPDATE, DELETE and TRUNCATE are refused, and alarms with a trail cannot be deleted', async () => {
    const [{ id }] = await a.ds.query<{ id: string }[]>(`SELECT id FROM alarm_events ORDER BY id LIMIT 1`);
    await expect(a.ds.query(`UPDATE alarm_events SET actor = 'mallory' WHERE id = $1`, [id])).rejects.toThrow(/append-only: UPDATE refused/);
    await expect(a.ds.query(`DELETE FROM alarm_events WHERE id = $1`, [id])).rejects.toThrow(/append-only: DELETE refused/);
    await expect(a.ds.query(`TRUNCATE alarm_events CASCADE`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await expect(a.ds.query(`DELETE FROM alarms`)).rejects.toThrow(/foreign key|append-only/);
    const [{ n }] = await a.ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM alarm_events WHERE actor = 'mallory'`);
    expect(n).toBe(0);
  });

  it('lists newest first with an opaque keyset cursor and filters by state and line', async () => {
    const all = [];
    let cursor: string | undefined;
    do {
      const page = await a.alarms.list({ limit: 3, cursor });
      expect(page.items.length).toBeLessThanOrEqual(3);
      all.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    const [{ n }] = await a.ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM alarms`);
    expect(all).toHaveLength(n);
    expect(new Set(all.map((x) => x.id)).size).toBe(n);
    const order = all.map((x) => [x.raised_at, Number(x.id)]);
    expect(order).toEqual([...order].sort((p, q) => (p[0] < q[0] ? 1 : p[0] > q[0] ? -1 : (q[1] as number) - (p[1] as number))));
    const open = await a.alarms.list({ state: 'open', line: '9' });
    expect(open.items.every((x) => x.production_line_id === '9' && x.state !== 'normal')).toBe(true);
    const normal = await a.alarms.list({ state: 'normal' });
    expect(normal.items.length).toBeGreaterThan(0);
    expect(normal.items.every((x) => x.state === 'normal')).toBe(true);
    expect((await errorOf(a.alarms.list({ state: 'bogus' }))).loc).toEqual(['query', 'state']);
    expect((await errorOf(a.alarms.list({ cursor: 'garbage' }))).loc).toEqual(['query', 'cursor']);
  });

  it('computes KPIs from the stored trail', async () => {
    now = T0 + 3600_000;
    const k = await a.kpis.kpis('2h');
    const [{ n }] = await a.ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM alarm_events WHERE action IN ('raise', 'reactivate') AND to_state = 'unacknowledged'`);
    expect(k.alarms_total).toBe(n);
    // Everything in this file happened within the first minutes: one flood interval.
    expect(k.flood.intervals).toBe(1);
    expect(k.alarms_per_10min.peak).toBe(n);
    expect(k.shelved + k.standing + k.suppressed).toBe((await a.alarms.activeAlarms()).length);
    await expect(a.kpis.kpis('forever')).rejects.toThrow(AlarmError);
  });

  it('demo mode seeds default rules for lines that have none, once', async () => {
    const c = await instance(db.url, clock, true);
    const rules = await c.alarms.rulesOf('11');
    expect(rules.map((r) => `${r.metric}/${r.kind}`)).toEqual(['data/stale', 'diameter/high', 'diameter/high_high', 'diameter/low', 'diameter/low_low']);
    // Lines with rules keep theirs.
    expect(await c.alarms.rulesOf('1')).toHaveLength(4);
    await c.alarms.onModuleDestroy();
    await c.ds.destroy();
  });
});
