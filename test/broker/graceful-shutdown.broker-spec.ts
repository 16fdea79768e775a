import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { connect, createTestDatabase } from '../support/database';
import { runNode, type Proc } from '../support/processes';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';
import { startMosquitto, type Mosquitto } from './mosquitto';
import { connectPublisher, publishSequence } from './publisher';

const API_MAIN = 'dist/apps/api/apps/api/src/main.js';
const TOTAL = 3000;

// DESIGN.md 4 and issue 8: on SIGTERM an instance tells its WebSocket clients to reconnect (1001),
// flushes what it has, acknowledges nothing it has not committed, and exits cleanly.
describe('graceful shutdown on SIGTERM (mosquitto, the api as a real process)', () => {
  let broker: Mosquitto;
  let db: { url: string; drop(): Promise<void> };
  let sql: pg.Client;
  let publisher: MqttClient;
  let api: Proc | null = null;
  let port = '';

  const startApiProcess = async (): Promise<Proc> => {
    const p = runNode([API_MAIN], {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      MQTT_URL: broker.url,
      MQTT_CLIENT_ID: 'lm-sigterm-test-api',
      INGEST_MAX_IN_FLIGHT: '500',
      ALARM_CHECK_INTERVAL_MS: '0',
    });
    const started = await waitFor(() => /HTTP and WebSocket on http:\/\/127\.0\.0\.1:(\d+)/.exec(p.output()) ?? (p.child.exitCode !== null ? ['', 'exited'] : undefined), 'the api to start', 30_000);
    if (started[1] === 'exited') throw new Error(`api exited: ${p.output()}`);
    port = started[1];
    return p;
  };
  const count = async (): Promise<number> => Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry WHERE msg_id ~ '^[0-9]+$'`)).rows[0].n);

  beforeAll(async () => {
    broker = await startMosquitto();
    db = await createTestDatabase();
    api = await startApiProcess();
    sql = await connect(db.url);
    publisher = await connectPublisher(broker.url);
    const probeBase = Date.now() - 7200_000;
    await waitFor(async () => {
      await publisher.publishAsync('plant/lines/8/telemetry', JSON.stringify({ timestamp: probeBase, diameter: 1, msg_id: 'probe' }), { qos: 1 });
      return (await sql.query(`SELECT 1 FROM telemetry WHERE msg_id = 'probe'`)).rowCount === 1;
    }, 'the api subscription', 20_000, 200);
  }, 60_000);

  afterAll(async () => {
    await publisher?.endAsync();
    await api?.stop();
    await sql?.end();
    await db?.drop();
    await broker?.stop();
  });

  it('closes WebSockets with 1001, exits 0, and loses nothing it was sent', async () => {
    const ws = await TestWsClient.connect(`ws://127.0.0.1:${port}/ws`);
    await ws.next((f) => f.type === 'connected', 'connected');
    const base = Date.now() - 3600_000;
    const publishing = publishSequence(publisher, 0, TOTAL, base);
    await waitFor(async () => (await count()) >= TOTAL / 5, 'a fifth of the sequence stored', 30_000);

    const exited = new Promise<number | null>((resolve) => api!.child.once('exit', (code) => resolve(code)));
    api!.child.kill('SIGTERM');
    await waitFor(() => ws.closed ?? undefined, 'the WebSocket to be closed by the server', 10_000);
    expect(ws.closed?.code).toBe(1001);
    expect(await exited).toBe(0);
    await publishing;

    api = await startApiProcess();
    let now = 0;
    await waitFor(async () => (now = await count()) >= TOTAL, 'all numbers stored', 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}: ${now} of ${TOTAL}. api: ${api!.output().slice(-3000)}`);
    });
    const { rows } = await sql.query(`SELECT count(*)::int AS n, count(DISTINCT msg_id::int)::int AS distinct_n FROM telemetry WHERE msg_id ~ '^[0-9]+$'`);
    expect(rows[0]).toEqual({ n: TOTAL, distinct_n: TOTAL });
  }, 120_000);
});
