import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { connect, createTestDatabase } from '../support/database';
import { runNode, type Proc } from '../support/processes';
import { waitFor } from '../support/waiting';
import { startMosquitto, type Mosquitto } from './mosquitto';
import { connectPublisher } from './publisher';

const API_MAIN = 'dist/apps/api/apps/api/src/main.js';

export interface ApiProcess extends Proc {
  /** The HTTP port it listens on. */
  port: string;
}

/** The built api as a real process (built by `npm test` for this tier) on an external database and broker. */
export async function startApiProcess(env: { databaseUrl: string; mqttUrl: string; clientId?: string; extra?: Record<string, string> }): Promise<ApiProcess> {
  const p = runNode([API_MAIN], {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: env.databaseUrl,
    MQTT_URL: env.mqttUrl,
    ...(env.clientId ? { MQTT_CLIENT_ID: env.clientId } : {}),
    INGEST_MAX_IN_FLIGHT: '500',
    ALARM_CHECK_INTERVAL_MS: '0',
    ...env.extra,
  });
  const started = await waitFor(
    () => /HTTP and WebSocket on http:\/\/127\.0\.0\.1:(\d+)/.exec(p.output())?.[1] ?? (p.child.exitCode !== null ? 'exited' : undefined),
    'the api to start',
    30_000,
  );
  if (started === 'exited') throw new Error(`api exited: ${p.output()}`);
  return { ...p, port: started };
}

/** Numbered rows stored so far. */
export async function countNumbered(sql: pg.Client): Promise<number> {
  return Number((await sql.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry WHERE msg_id ~ '^[0-9]+$'`)).rows[0].n);
}

/** The api's subscription exists once a probe comes through: from then on the broker keeps its messages. */
export async function awaitSubscription(publisher: MqttClient, sql: pg.Client): Promise<void> {
  const probeBase = Date.now() - 7200_000;
  await waitFor(
    async () => {
      await publisher.publishAsync('plant/lines/8/telemetry', JSON.stringify({ timestamp: probeBase, diameter: 1, msg_id: 'probe' }), { qos: 1 });
      return (await sql.query(`SELECT 1 FROM telemetry WHERE msg_id = 'probe'`)).rowCount === 1;
    },
    'the api subscription',
    20_000,
    200,
  );
}

/**
 * The setup both crash tests share: a real mosquitto, a fresh database, the api as a process subscribed
 * (probed), a publisher and a SQL client. `start()` starts the api again on the same session.
 */
export interface BrokerFixture {
  broker: Mosquitto;
  sql: pg.Client;
  publisher: MqttClient;
  api: ApiProcess;
  start(): Promise<ApiProcess>;
  count(): Promise<number>;
  stop(): Promise<void>;
}

export async function startBrokerFixture(clientId: string): Promise<BrokerFixture> {
  const broker = await startMosquitto();
  const db = await createTestDatabase();
  const start = (): Promise<ApiProcess> => startApiProcess({ databaseUrl: db.url, mqttUrl: broker.url, clientId });
  const api = await start();
  const sql = await connect(db.url);
  const publisher = await connectPublisher(broker.url);
  await awaitSubscription(publisher, sql);
  const fixture: BrokerFixture = {
    broker,
    sql,
    publisher,
    api,
    start,
    count: () => countNumbered(sql),
    // Reads fixture.api at the end: a test replaces it when it restarts the api.
    stop: async () => {
      await publisher.endAsync();
      await fixture.api.stop();
      await sql.end();
      await db.drop();
      await broker.stop();
    },
  };
  return fixture;
}
