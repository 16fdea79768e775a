import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Envelope } from '@lm/protocol';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { type ApiProcess, countNumbered, startApiProcess } from '../broker/api-process';
import { type Mosquitto, startMosquitto } from '../broker/mosquitto';
import { connectPublisher, publishSequence } from '../broker/publisher';
import { connect, createTestDatabase } from '../support/database';
import { type RunningNginx, startNginx } from '../support/nginx';
import { freePort } from '../support/ports';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';

const TOTAL = 3000;
const GROUP = 'lm-scale-test';
const ALL_LINES = ['1', '2', '3', '4', '5', '6', '7', '8'];

interface Health {
  cluster: { members: string[]; owned_lines: string[]; gaps: number; stream_restarts: number };
  ingest: { received: number; stored: number };
}

async function health(api: ApiProcess): Promise<Health> {
  return (await (await fetch(`http://127.0.0.1:${api.port}/health`)).json()) as Health;
}

type Frame = Envelope & { seq?: number };
const dataOf = (f: Frame): Record<string, unknown> => f.data as Record<string, unknown>;

/**
 * Issue 8, scale-out: two api processes share ingest through a `$share` subscription on one real
 * mosquitto and fan out to each other through it; nginx balances between them. Every message is stored
 * once, every client (whichever instance) gets every message and every alarm change once, and two
 * instances acknowledging the same alarm at once give one acknowledgement.
 */
describe('two api instances on one mosquitto, behind nginx', () => {
  let broker: Mosquitto;
  let db: { url: string; drop(): Promise<void> };
  let sql: pg.Client;
  let a: ApiProcess;
  let b: ApiProcess;
  let nginx: RunningNginx;
  let httpsPort: number;
  let publisher: MqttClient;
  const clients: Record<string, TestWsClient> = {};

  const start = (id: string): Promise<ApiProcess> =>
    startApiProcess({ databaseUrl: db.url, mqttUrl: broker.url, extra: { MQTT_SHARED_GROUP: GROUP, INSTANCE_ID: id } });

  beforeAll(async () => {
    broker = await startMosquitto();
    db = await createTestDatabase();
    // Together, on an empty database: one applies the migrations while the other waits (advisory lock).
    [a, b] = await Promise.all([start('api-a'), start('api-b')]);
    sql = await connect(db.url);
    publisher = await connectPublisher(broker.url);
    httpsPort = await freePort();
    nginx = await startNginx({
      apiAddresses: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`],
      // Not used here.
      dashboardAddress: '127.0.0.1:9',
      httpPort: await freePort(),
      httpsPort,
    });
  }, 90_000);

  afterAll(async () => {
    for (const c of Object.values(clients)) await c.close();
    await publisher?.endAsync();
    await nginx?.stop();
    await a?.stop();
    await b?.stop();
    await sql?.end();
    await db?.drop();
    await broker?.stop();
  });

  it('agree on who evaluates which line, and both take a share of ingest', async () => {
    const [ha, hb] = await waitFor(
      async () => {
        const hs = await Promise.all([health(a), health(b)]);
        return hs.every((h) => h.cluster.members.join() === 'api-a,api-b') ? hs : undefined;
      },
      'both instances to see each other',
      20_000,
    );
    expect([...ha.cluster.owned_lines, ...hb.cluster.owned_lines].sort()).toEqual(ALL_LINES);
    expect(ha.cluster.owned_lines.length).toBeGreaterThan(0);
    expect(hb.cluster.owned_lines.length).toBeGreaterThan(0);

    // The shared subscription of each instance exists once a probe has reached it.
    const probeBase = Date.now() - 7200_000;
    let k = 0;
    await waitFor(
      async () => {
        await publisher.publishAsync('plant/lines/8/telemetry', JSON.stringify({ timestamp: probeBase + k++, diameter: 90, msg_id: 'probe' }), { qos: 1 });
        const hs = await Promise.all([health(a), health(b)]);
        return hs.every((h) => h.ingest.stored > 0);
      },
      'both ingest subscriptions',
      20_000,
      100,
    );
    // Each probe went to one instance, not to both.
    await waitFor(async () => {
      const hs = await Promise.all([health(a), health(b)]);
      return hs[0].ingest.received + hs[1].ingest.received === k;
    }, `${k} probes received once in all`, 10_000);
  }, 30_000);

  it('store each message once and give every client, on either instance, each message and alarm change once', async () => {
    clients.a = await TestWsClient.connect(`ws://127.0.0.1:${a.port}/ws`);
    clients.b = await TestWsClient.connect(`ws://127.0.0.1:${b.port}/ws`);
    clients.nginx = await TestWsClient.connect(`wss://127.0.0.1:${httpsPort}/ws`, {}, { ca: nginx.cert });
    for (const c of Object.values(clients)) await c.next((f) => f.type === 'connected', 'connected');

    const before = await Promise.all([health(a), health(b)]);
    const base = Date.now() - 3600_000;
    await publishSequence(publisher, 0, TOTAL, base);
    await waitFor(async () => (await countNumbered(sql)) >= TOTAL, 'every message stored', 60_000, 100);
    const { rows } = await sql.query(`SELECT count(*)::int AS n, count(DISTINCT msg_id)::int AS d FROM telemetry WHERE msg_id ~ '^[0-9]+$'`);
    expect(rows[0]).toEqual({ n: TOTAL, d: TOTAL });
    const after = await Promise.all([health(a), health(b)]);
    // Shared, not duplicated: each message went to one instance, and each stored part of the sequence.
    expect(after[0].ingest.received - before[0].ingest.received + after[1].ingest.received - before[1].ingest.received).toBe(TOTAL);
    expect(after[0].ingest.stored - before[0].ingest.stored).toBeGreaterThan(TOTAL / 10);
    expect(after[1].ingest.stored - before[1].ingest.stored).toBeGreaterThan(TOTAL / 10);

    const inSequence = (f: Frame): boolean => {
      if (f.type !== 'production_data') return false;
      const t = Date.parse(f.timestamp);
      return t >= base && t < base + TOTAL;
    };
    for (const [name, c] of Object.entries(clients)) {
      await waitFor(() => c.frames.filter(inSequence).length >= TOTAL, `client ${name}: every message`, 30_000);
    }

    // The sequence trips diameter alarms on lines 2-4 (its values suit line 1); their owners raise them.
    const alarmCount = async (): Promise<{ alarms: number; changes: number }> => {
      const r = await sql.query<{ alarms: number; changes: number }>(
        `SELECT (SELECT count(*)::int FROM alarms) AS alarms,
                (SELECT count(*)::int FROM alarm_events WHERE alarm_id IS NOT NULL AND action <> 'raise') AS changes`,
      );
      return r.rows[0];
    };
    const raised = await waitFor(async () => ((await alarmCount()).alarms > 0 ? alarmCount() : undefined), 'alarms raised', 20_000);
    expect(raised.alarms).toBeGreaterThan(0);

    // Two engineers acknowledge the same alarm at once, one through each instance.
    const token = await login(a);
    const { rows: open } = await sql.query<{ id: string }>(`SELECT id::text FROM alarms WHERE state = 'unacknowledged' ORDER BY id LIMIT 1`);
    expect(open).toHaveLength(1);
    const alarmId = open[0].id;
    const answers = await Promise.all(
      [a, b].map(async (api) => {
        const res = await fetch(`http://127.0.0.1:${api.port}/api/alarms/${alarmId}/ack`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ comment: 'checked at the line' }),
        });
        expect(res.status).toBe(200);
        return (await res.json()) as { changed: boolean; alarm: { state: string } };
      }),
    );
    expect(answers.map((x) => x.changed).sort()).toEqual([false, true]);
    expect(answers.every((x) => x.alarm.state === 'acknowledged')).toBe(true);
    const acks = await sql.query(`SELECT 1 FROM alarm_events WHERE alarm_id = $1 AND action = 'acknowledge'`, [alarmId]);
    expect(acks.rowCount).toBe(1);

    // A barrier: markers published after everything above, spread over both instances, reach everyone
    // (on line 1 at its target diameter, so that they raise nothing themselves).
    const markerBase = base + TOTAL + 1000;
    const markers = 40;
    await Promise.all(
      Array.from({ length: markers }, (_, i) =>
        publisher.publishAsync('plant/lines/1/telemetry', JSON.stringify({ timestamp: markerBase + i, diameter: 20, msg_id: `m${i}` }), { qos: 1 }),
      ),
    );
    const isMarker = (f: Frame): boolean => f.type === 'production_data' && Date.parse(f.timestamp) >= markerBase;
    for (const [name, c] of Object.entries(clients)) {
      await waitFor(() => c.frames.filter(isMarker).length >= markers, `client ${name}: the markers`, 20_000);
    }

    const summary = (name: string, c: TestWsClient) => ({
      name,
      data: c.frames.filter(inSequence).length,
      distinct: new Set(c.frames.filter(inSequence).map((f) => `${String(dataOf(f).production_line_id)}@${f.timestamp}`)).size,
      alarms: c.ofType('alarm').length,
      distinctAlarms: new Set(c.ofType('alarm').map((f) => dataOf(f).id)).size,
      changes: c.ofType('alarm_update').length,
      acked: c.ofType('alarm_update').filter((f) => dataOf(f).id === alarmId && dataOf(f).state === 'acknowledged').length,
    });
    const expected = async (name: string) => {
      const db = await alarmCount();
      return { name, data: TOTAL, distinct: TOTAL, alarms: db.alarms, distinctAlarms: db.alarms, changes: db.changes, acked: 1 };
    };
    for (const [name, c] of Object.entries(clients)) {
      // Alarm changes still being committed arrive; a duplicate would make this fail all the same.
      await waitFor(async () => JSON.stringify(summary(name, c)) === JSON.stringify(await expected(name)), `client ${name}: every alarm change`, 10_000).catch(
        () => undefined,
      );
      expect(summary(name, c)).toEqual(await expected(name));
      // Each instance numbers its own stream without a hole.
      const seqs = c.frames.filter((f) => typeof f.seq === 'number').map((f) => f.seq!);
      expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1)).toBe(true);
    }
    const hs = await Promise.all([health(a), health(b)]);
    expect(hs.map((h) => h.cluster.gaps)).toEqual([0, 0]);
  }, 150_000);

  it('applies alarm rules edited through one instance on the other at once (not at its 30 s reload)', async () => {
    const token = await login(a);
    const rules = [
      { metric: 'diameter', limit_kind: 'high', limit: 51.25, severity: 'medium', deadband: 0.2 },
      { metric: 'data', limit_kind: 'stale', limit: 10, severity: 'high' },
    ];
    const put = await fetch(`http://127.0.0.1:${a.port}/api/lines/5/alarm-rules`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rules }),
    });
    expect(put.status).toBe(200);
    const limitsOn = async (api: ApiProcess): Promise<unknown> =>
      ((await (await fetch(`http://127.0.0.1:${api.port}/api/lines/5`)).json()) as { limits: unknown }).limits;
    await waitFor(
      async () => JSON.stringify(await limitsOn(b)) === JSON.stringify([{ metric: 'diameter', limit_kind: 'high', limit: 51.25, severity: 'medium' }]) || undefined,
      'the other instance to use the new rules',
      5_000,
    );
  }, 20_000);

  it('ignores a broken peer message, and restarts its stream (1012) rather than hide a missed batch', async () => {
    const ws = await TestWsClient.connect(`ws://127.0.0.1:${a.port}/ws`);
    const connected = await ws.next((f) => f.type === 'connected', 'connected');
    const h0 = await health(a);
    // A peer that is not an api (only the api account may publish here in production) sends garbage,
    // then batches 1 and 3 of one life: batch 2 went missing.
    await publisher.publishAsync('line-monitor/stream/api-x', 'not a batch', { qos: 1 });
    const batch = (n: number): string => JSON.stringify({ v: 1, from: 'api-x', boot: 'b1', n, items: [] });
    await publisher.publishAsync('line-monitor/stream/api-x', batch(1), { qos: 1 });
    const received = (h: Health): number => (h as Health & { cluster: { batches_received: number } }).cluster.batches_received;
    await waitFor(async () => received(await health(a)) > received(h0) || undefined, 'batch 1 taken', 5_000);
    expect(ws.closed).toBeNull();
    await publisher.publishAsync('line-monitor/stream/api-x', batch(3), { qos: 1 });
    await waitFor(() => ws.closed ?? undefined, 'the client to be told to reconnect', 10_000);
    expect(ws.closed?.code).toBe(1012);
    const h1 = (await health(a)) as Health & { cluster: { bad_messages: number } };
    expect(h1.cluster.gaps - h0.cluster.gaps).toBe(1);
    expect(h1.cluster.bad_messages).toBeGreaterThan(0);
    // Reconnecting, it is another stream: the client must resynchronise.
    const again = await TestWsClient.connect(`ws://127.0.0.1:${a.port}/ws`);
    await again.next((f) => f.type === 'connected', 'connected again');
    again.send({ type: 'resume', data: { epoch: dataOf(connected).epoch, last_seq: dataOf(connected).seq } });
    const resumed = await again.next((f) => f.type === 'resumed', 'resumed');
    expect(dataOf(resumed).recovered).toBe(false);
    await again.close();
  }, 30_000);

  it('hands the lines of an instance that stops to the one that stays', async () => {
    await b.stop();
    const ha = await waitFor(async () => {
      const h = await health(a);
      return h.cluster.members.join() === 'api-a' ? h : undefined;
    }, 'api-a alone', 20_000);
    expect([...ha.cluster.owned_lines].sort()).toEqual(ALL_LINES);
  }, 30_000);
});

async function login(api: ApiProcess): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${api.port}/api/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'engineer', password: 'engineer-demo' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
