import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pg from 'pg';
import { startApi, type RunningApi } from '../../apps/api/src/bootstrap';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../apps/api/src/database/embedded-postgres';
import { TelemetryService } from '../../apps/api/src/telemetry/telemetry.service';
import { freePort } from '../support/ports';
import { waitFor } from '../support/waiting';
import { startMosquitto, type Mosquitto } from './mosquitto';
import { connectPublisher, publishSequence } from './publisher';

const CAP = 200;

// A PostgreSQL of its own (the shared test cluster must not go down), stopped and started under load.
describe('ingest through a PostgreSQL outage (mosquitto holds what is not acknowledged)', () => {
  let dir: string;
  let port: number;
  let db: EmbeddedDatabase | null = null;
  let broker: Mosquitto;
  let api: RunningApi;
  let publisher: MqttClient;
  let telemetry: TelemetryService;

  const count = async (): Promise<number> => {
    const c = new pg.Client({ connectionString: db!.url });
    await c.connect();
    try {
      return Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry WHERE msg_id ~ '^[0-9]+$'`)).rows[0].n);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lm-outage-pg-'));
    chmodSync(dir, 0o755);
    port = await freePort();
    db = await startEmbeddedPostgres(join(dir, 'data'), port);
    broker = await startMosquitto();
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      MQTT_URL: broker.url,
      MQTT_CLIENT_ID: 'lm-outage-test-api',
      INGEST_MAX_IN_FLIGHT: String(CAP),
    });
    config.demo = true;
    api = await startApi(config, { logger: false });
    telemetry = api.app.get(TelemetryService);
    publisher = await connectPublisher(broker.url);
  }, 60_000);

  afterAll(async () => {
    await publisher?.endAsync();
    await api?.close();
    await db?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pauses without acknowledging, stays bounded, and resumes by itself when the database is back', async () => {
    const base = Date.now() - 3600_000;
    await publishSequence(publisher, 0, 500, base);
    await waitFor(async () => (await count()) === 500, 'the first 500 stored', 20_000, 50);

    await db!.stop();
    const ackedBefore = telemetry.ingestStats().acked;
    await publishSequence(publisher, 500, 3000, base);
    // Reading stops at the cap: the broker keeps the rest, nothing more is acknowledged, memory is bounded.
    await waitFor(() => telemetry.ingestStats().paused, 'ingest to pause at the in-flight cap', 20_000);
    const paused = telemetry.ingestStats();
    expect(paused.database_stalled).toBe(true);
    expect(paused.in_flight).toBeGreaterThanOrEqual(CAP);
    expect(paused.in_flight).toBeLessThanOrEqual(CAP + 5);
    expect(paused.queued).toBeLessThanOrEqual(CAP + 5);
    expect(paused.acked).toBe(ackedBefore);
    expect(paused.received).toBeLessThan(3000);

    db = await startEmbeddedPostgres(join(dir, 'data'), port);
    await waitFor(async () => (await count()) === 3000, 'all 3000 stored after the database came back', 60_000, 200);
    const after = telemetry.ingestStats();
    expect(after.database_stalled).toBe(false);
    expect(after.write_errors).toBeGreaterThan(0);
    expect(after.duplicates + after.stored).toBeGreaterThanOrEqual(3000);
  }, 120_000);
});
