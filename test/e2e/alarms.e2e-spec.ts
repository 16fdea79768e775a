import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { topics, type AlarmRecord, type TelemetryReading } from '@lm/protocol';
import mqtt from 'mqtt';
import type pg from 'pg';
import { AlarmsService } from '../../apps/api/src/alarms/alarms.service';
import { startTestApi, type TestApi } from '../support/api';
import { connect } from '../support/database';
import { TestWsClient } from '../support/ws-client';

// Alarms through the real app: rules over REST, an alarm raised from a live reading, the WebSocket
// `alarm`/`alarm_update` frames, acknowledgement over REST and WebSocket with role checks, the trail.
// Readings enter through AlarmsService.evaluate (what ingest calls for each committed live row), taken
// from the app's own DI container, so this test does not depend on the ingest wiring.
describe('alarms, end to end', () => {
  let api: TestApi;
  let db: pg.Client;
  let alarms: AlarmsService;
  const tokens = { operator: '', engineer: '', admin: '' };

  /** The fields of the answers this file looks at (alarm records, pages, command results, errors, trails). */
  interface Body extends Partial<AlarmRecord> {
    detail: { loc: unknown[] }[];
    rules: unknown[];
    limits: unknown[];
    items: AlarmRecord[];
    next_cursor: string | null;
    changed: boolean;
    message: string;
    alarm: AlarmRecord;
    events: { action: string; actor: string }[];
    priority_mix: unknown;
  }
  const http = async (method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: Body }> => {
    const res = await fetch(`${api.httpUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Body };
  };

  const reading = (diameter: number, time = new Date()): TelemetryReading => ({
    time,
    body_temperatures: null,
    diameter,
    line_speed: null,
    melt_pressure: null,
    screw_speed: null,
    msg_id: null,
  });

  beforeAll(async () => {
    api = await startTestApi({ JWT_SECRET: 'e2e-secret-0123456789-abcdefghijklmnopqrstuvwxyz', ALARM_CHECK_INTERVAL_MS: '0' });
    db = await connect(api.databaseUrl);
    alarms = api.app.get(AlarmsService);
    for (const role of Object.keys(tokens) as (keyof typeof tokens)[]) {
      const res = await fetch(`${api.httpUrl}/api/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: role, password: `${role}-demo` }),
      });
      tokens[role] = ((await res.json()) as { access_token: string }).access_token;
    }
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await api?.stop();
  });

  it('shows each line with its alarm limits in GET /api/lines', async () => {
    const line = await http('GET', '/api/lines/1', null);
    expect(line.status).toBe(200);
    expect(line.body.limits).toEqual(expect.arrayContaining([{ metric: 'diameter', limit_kind: 'high', limit: 20.4, severity: 'medium' }]));
  });

  it('serves the demo rules and lets only engineers replace them, validated (422) and audited', async () => {
    const got = await http('GET', '/api/lines/1/alarm-rules', null);
    expect(got.status).toBe(200);
    expect(got.body.rules).toEqual(expect.arrayContaining([expect.objectContaining({ metric: 'diameter', limit_kind: 'high', limit: 20.4, severity: 'medium' })]));
    expect((await http('GET', '/api/lines/99/alarm-rules', null)).status).toBe(404);

    const rules = [
      { metric: 'diameter', limit_kind: 'high', limit: 20.4, severity: 'medium', deadband: 0.1 },
      { metric: 'diameter', limit_kind: 'high_high', limit: 21, severity: 'critical', comment_required: true },
      { metric: 'data', limit_kind: 'stale', limit: 10, severity: 'high' },
    ];
    expect((await http('PUT', '/api/lines/2/alarm-rules', tokens.operator, { rules })).status).toBe(403);
    const bad = await http('PUT', '/api/lines/2/alarm-rules', tokens.engineer, { rules: [{ metric: 'colour', limit_kind: 'high', limit: 'x', severity: 'meh' }] });
    expect(bad.status).toBe(422);
    expect(bad.body.detail.map((d) => d.loc.join('.'))).toEqual(
      expect.arrayContaining(['body.rules.0.metric', 'body.rules.0.limit', 'body.rules.0.severity']),
    );
    const dup = await http('PUT', '/api/lines/2/alarm-rules', tokens.engineer, { rules: [rules[0], rules[0]] });
    expect([dup.status, dup.body.detail[0].loc]).toEqual([422, ['body', 'rules', 1]]);
    const ok = await http('PUT', '/api/lines/2/alarm-rules', tokens.engineer, { rules });
    expect(ok.status).toBe(200);
    expect(ok.body.rules).toHaveLength(3);
    expect((await http('GET', '/api/lines/2/alarm-rules', null)).body.rules).toHaveLength(3);
    const { rows } = await db.query(`SELECT actor FROM alarm_events WHERE action = 'rules_changed' AND line_id = '2'`);
    expect(rows).toEqual([{ actor: 'engineer' }]);
  });

  it('raises an alarm from a live reading beyond a limit: WebSocket `alarm`, REST, database; acknowledged with role checks over REST and WebSocket', async () => {
    const watcher = await TestWsClient.connect(api.wsUrl);
    await watcher.next((f) => f.type === 'connected', 'connected');

    alarms.evaluate('2', reading(20.5));
    const frame = await watcher.next((f) => f.type === 'alarm' && (f.data as AlarmRecord).production_line_id === '2', 'alarm frame');
    const raised = frame.data as AlarmRecord;
    expect(typeof frame.seq).toBe('number');
    expect(raised).toMatchObject({ metric: 'diameter', limit_kind: 'high', state: 'unacknowledged', value: 20.5, limit: 20.4, severity: 'medium' });

    const list = await http('GET', '/api/alarms?state=open&line=2', null);
    expect(list.status).toBe(200);
    expect(list.body.items.map((a) => a.id)).toEqual([raised.id]);

    // The snapshot carries active alarms.
    watcher.send({ type: 'request_latest', timestamp: new Date().toISOString(), data: { lines: ['2'], request_id: 'snap-1' } });
    const snap = await watcher.next((f) => f.type === 'snapshot' && (f.data as { request_id?: string }).request_id === 'snap-1', 'snapshot');
    expect((snap.data as { active_alarms: AlarmRecord[] }).active_alarms.map((a) => a.id)).toEqual([raised.id]);

    // Operators and anonymous viewers: refused, nothing changes.
    expect((await http('POST', `/api/alarms/${raised.id}/ack`, null, {})).status).toBe(401);
    expect((await http('POST', `/api/alarms/${raised.id}/ack`, tokens.operator, {})).status).toBe(403);
    const opWs = await TestWsClient.connect(`${api.wsUrl}?token=${tokens.operator}`);
    await opWs.next((f) => f.type === 'connected', 'operator connected');
    opWs.send({ type: 'alarm_ack', timestamp: new Date().toISOString(), data: { alarm_id: raised.id, request_id: 'op-1' } });
    const refused = await opWs.next((f) => f.type === 'error' && (f.data as { request_id?: string }).request_id === 'op-1', 'forbidden error');
    expect(refused.data).toMatchObject({ code: 'forbidden' });
    expect((await http('GET', `/api/alarms/${raised.id}`, null)).body.state).toBe('unacknowledged');

    // Two engineers at once over REST: exactly one acknowledgement, both answers truthful.
    const [r1, r2] = await Promise.all([
      http('POST', `/api/alarms/${raised.id}/ack`, tokens.engineer, { comment: 'on it' }),
      http('POST', `/api/alarms/${raised.id}/ack`, tokens.admin, { comment: 'me too' }),
    ]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    expect([r1.body.changed, r2.body.changed].sort()).toEqual([false, true]);
    const loser = r1.body.changed ? r2.body : r1.body;
    expect(loser.message).toBe('already acknowledged');
    expect(loser.alarm.state).toBe('acknowledged');
    const update = await watcher.next((f) => f.type === 'alarm_update' && (f.data as AlarmRecord).id === raised.id, 'alarm_update');
    expect(update.data).toMatchObject({ state: 'acknowledged' });
    expect(update.seq).toBeGreaterThan(frame.seq!);

    // Over the WebSocket, an engineer's ack is confirmed with its request_id (idempotent: already acknowledged).
    const engWs = await TestWsClient.connect(`${api.wsUrl}?token=${tokens.engineer}`);
    await engWs.next((f) => f.type === 'connected', 'engineer connected');
    engWs.send({ type: 'alarm_ack', timestamp: new Date().toISOString(), data: { alarm_id: raised.id, request_id: 'eng-1' } });
    const confirm = await engWs.next((f) => (f.data as { request_id?: string }).request_id === 'eng-1', 'confirmation');
    expect(confirm).toMatchObject({ type: 'result', data: { ok: true, result: { changed: false, message: 'already acknowledged', alarm: { id: raised.id } } } });

    // It clears: alarm_update normal; the trail holds every transition.
    alarms.evaluate('2', reading(20.2));
    await watcher.next((f) => f.type === 'alarm_update' && (f.data as AlarmRecord).id === raised.id && (f.data as AlarmRecord).state === 'normal', 'cleared');
    const detail = await http('GET', `/api/alarms/${raised.id}`, null);
    expect(detail.body.events.map((e) => `${e.action}:${e.actor}`)).toEqual([
      'raise:system',
      expect.stringMatching(/^acknowledge:(engineer|admin)$/),
      'clear:system',
    ]);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alarm_events WHERE alarm_id = $1 AND action = 'acknowledge'`, [raised.id]);
    expect(rows[0].n).toBe(1);
    await Promise.all([watcher.close(), opWs.close(), engWs.close()]);
  });

  it('shelves over WebSocket and REST with validation, and unshelves', async () => {
    alarms.evaluate('2', reading(21.5));
    await alarms.whenIdle();
    const hh = (await http('GET', '/api/alarms?state=unacknowledged&line=2', null)).body.items.find((a) => a.limit_kind === 'high_high')!;
    expect(hh.comment_required).toBe(true);
    const noComment = await http('POST', `/api/alarms/${hh.id}/ack`, tokens.engineer, {});
    expect([noComment.status, noComment.body.detail[0].loc]).toEqual([422, ['body', 'comment']]);
    const badShelve = await http('POST', `/api/alarms/${hh.id}/shelve`, tokens.engineer, { duration_minutes: 0 });
    expect(badShelve.status).toBe(422);
    const shelved = await http('POST', `/api/alarms/${hh.id}/shelve`, tokens.engineer, { duration_minutes: 30, reason: 'calibration' });
    expect([shelved.status, shelved.body.alarm.state, shelved.body.alarm.shelve_reason]).toEqual([200, 'shelved', 'calibration']);
    const ws = await TestWsClient.connect(`${api.wsUrl}?token=${tokens.admin}`);
    await ws.next((f) => f.type === 'connected', 'admin connected');
    ws.send({ type: 'alarm_unshelve', timestamp: new Date().toISOString(), data: { alarm_id: hh.id, request_id: 'un-1' } });
    const res = await ws.next((f) => (f.data as { request_id?: string }).request_id === 'un-1', 'unshelve confirmation');
    expect(res).toMatchObject({ type: 'result', data: { result: { changed: true, alarm: { state: 'unacknowledged' } } } });
    ws.send({ type: 'alarm_ack', timestamp: new Date().toISOString(), data: { alarm_id: '987654', request_id: 'nf-1' } });
    expect((await ws.next((f) => (f.data as { request_id?: string }).request_id === 'nf-1', 'not found')).data).toMatchObject({ code: 'not_found' });
    await ws.close();
    expect((await http('POST', '/api/alarms/987654/unshelve', tokens.engineer)).status).toBe(404);
    expect((await http('GET', '/api/alarms/abc', null)).status).toBe(422);
  });

  it('pages with a cursor and serves KPIs', async () => {
    const first = await http('GET', '/api/alarms?limit=1', null);
    expect(first.body.items).toHaveLength(1);
    const second = await http('GET', `/api/alarms?limit=1&cursor=${first.body.next_cursor}`, null);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    expect((await http('GET', '/api/alarms?cursor=nonsense', null)).status).toBe(422);

    const k = await http('GET', '/api/alarms/kpis?window=1h', null);
    expect(k.status).toBe(200);
    // Raised: diameter high (cleared), then high again and high-high at 21.5 mm (both open).
    expect(k.body).toMatchObject({ alarms_total: 3, alarms_per_10min: { peak: 3 }, standing: 2, shelved: 0 });
    expect(k.body.priority_mix).toMatchObject({ medium: { count: 2 }, critical: { count: 1 } });
    expect((await http('GET', '/api/alarms/kpis?window=forever', null)).status).toBe(422);
  });

  it('device -> MQTT -> ingest -> alarm over the WebSocket, and no alarm for backfill', async () => {
    const ws = await TestWsClient.connect(api.wsUrl);
    await ws.next((f) => f.type === 'connected', 'connected');
    const device = await mqtt.connectAsync(api.mqttUrl, { clientId: 'e2e-alarm-device', username: 'device', password: 'device-demo' });
    try {
      // Backfill beyond the limit: history, never alarmed.
      await device.publishAsync(topics.telemetry('5'), JSON.stringify([{ timestamp: new Date(Date.now() - 60_000).toISOString(), diameter: 80 }]), { qos: 1 });
      // Live, beyond line 5's default high-high (52.5 mm, on-delay 1 s): two readings 1.5 s apart in measurement time.
      const t = Date.now() - 2000;
      await device.publishAsync(topics.telemetry('5'), JSON.stringify({ timestamp: new Date(t).toISOString(), diameter: 60 }), { qos: 1 });
      await device.publishAsync(topics.telemetry('5'), JSON.stringify({ timestamp: new Date(t + 1500).toISOString(), diameter: 60 }), { qos: 1 });
      const frame = await ws.next((f) => f.type === 'alarm' && (f.data as AlarmRecord).production_line_id === '5' && (f.data as AlarmRecord).limit_kind === 'high_high', 'alarm from MQTT');
      expect(frame.data).toMatchObject({ metric: 'diameter', state: 'unacknowledged', value: 60, raised_at: new Date(t + 1500).toISOString() });
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM alarms WHERE line_id = '5' AND value = 80`);
      expect(rows[0].n).toBe(0);
    } finally {
      await device.endAsync();
      await ws.close();
    }
  });

  it('acknowledges a flood in one request, each alarm on its own, with a result per alarm', async () => {
    // Lines 6-8 beyond their diameter high (3 s) and high-high (1 s, comment required): six alarms.
    const t0 = Date.now() - 10_000;
    for (const [line, target] of [['6', 63], ['7', 75], ['8', 90]] as const) {
      alarms.evaluate(line, reading(target * 1.07, new Date(t0)));
      alarms.evaluate(line, reading(target * 1.07, new Date(t0 + 3500)));
    }
    await alarms.whenIdle();
    const flood = (await http('GET', '/api/alarms?state=unacknowledged', null)).body.items.filter((a) => ['6', '7', '8'].includes(a.production_line_id));
    expect(flood.map((a) => a.limit_kind).sort()).toEqual(['high', 'high', 'high', 'high_high', 'high_high', 'high_high']);
    const ids = flood.map((a) => a.id);

    expect((await http('POST', '/api/alarms/ack', tokens.operator, { alarm_ids: ids })).status).toBe(403);
    const empty = await http('POST', '/api/alarms/ack', tokens.engineer, { alarm_ids: [] });
    expect([empty.status, empty.body.detail[0].loc]).toEqual([422, ['body', 'alarm_ids']]);
    expect((await http('POST', '/api/alarms/ack', tokens.engineer, { alarm_ids: ['x'] })).status).toBe(422);

    // Without a comment: the high ones go, the high-high ones say why not, an unknown id is reported.
    type Bulk = { acknowledged: number; failed: number; results: { alarm_id: string; ok: boolean; changed: boolean; message: string }[] };
    const first = (await http('POST', '/api/alarms/ack', tokens.engineer, { alarm_ids: [...ids, '987654'] })).body as unknown as Bulk;
    expect([first.acknowledged, first.failed]).toEqual([3, 4]);
    expect(first.results.find((r) => r.alarm_id === '987654')).toMatchObject({ ok: false, message: expect.stringMatching(/not found/) });
    for (const a of flood.filter((x) => x.limit_kind === 'high_high')) {
      expect(first.results.find((r) => r.alarm_id === a.id)).toMatchObject({ ok: false, changed: false, message: expect.stringMatching(/comment is required/) });
    }
    // With one: the rest go; those done already say so, and are not acknowledged twice.
    const second = (await http('POST', '/api/alarms/ack', tokens.engineer, { alarm_ids: ids, comment: 'line 6-8 feed problem' })).body as unknown as Bulk;
    expect([second.acknowledged, second.failed]).toEqual([3, 0]);
    expect(second.results.filter((r) => !r.changed).every((r) => r.message === 'already acknowledged')).toBe(true);
    const { rows } = await db.query<{ n: number; d: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT alarm_id)::int AS d FROM alarm_events WHERE action = 'acknowledge' AND alarm_id = ANY($1::bigint[])`,
      [ids],
    );
    expect(rows[0]).toEqual({ n: 6, d: 6 });
  });
});
