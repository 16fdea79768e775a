import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ErrorCode, topics } from '@lm/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import { startTestApi, type TestApi } from '../support/api';
import { connect } from '../support/database';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';

// The walking skeleton end to end: device -> MQTT broker -> api -> PostgreSQL -> WebSocket client.
describe('ingest to WebSocket, end to end', () => {
  let api: TestApi;
  let device: MqttClient;
  let db: pg.Client;

  beforeAll(async () => {
    api = await startTestApi();
    device = await mqtt.connectAsync(api.mqttUrl, { clientId: 'e2e-device', username: 'device', password: 'device-demo' });
    db = await connect(api.databaseUrl);
  }, 60_000);

  afterAll(async () => {
    await device?.endAsync();
    await db?.end();
    await api?.stop();
  });

  const publish = (lineId: string, payload: unknown): Promise<unknown> =>
    device.publishAsync(topics.telemetry(lineId), typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });

  it('greets a new connection with connected, then streams what a device publishes, stored in PostgreSQL', async () => {
    const ws = await TestWsClient.connect(api.wsUrl);
    const hello = await ws.next((f) => f.type === 'connected', 'connected');
    expect(hello.data).toMatchObject({ protocol_version: 1, heartbeat_interval_ms: 30_000, user: null });

    const timestamp = new Date(Date.now() - 1000).toISOString();
    await publish('3', { timestamp, body_temperatures: [181.5, 199.9, 214, 226.3], diameter: 32.004, line_speed: 8.2, melt_pressure: 171, screw_speed: 55 });

    const frame = await ws.next((f) => f.type === 'production_data' && (f.data as { production_line_id: string }).production_line_id === '3', 'production_data of line 3');
    expect(frame).toMatchObject({
      timestamp,
      data: { production_line_id: '3', body_temperatures: [181.5, 199.9, 214, 226.3], diameter: 32.004, line_speed: 8.2, melt_pressure: 171, screw_speed: 55 },
    });
    expect(typeof frame.seq).toBe('number');

    const { rows } = await db.query(`SELECT line_id, diameter, body_temperatures, backfill FROM telemetry WHERE line_id = '3' AND time = $1`, [timestamp]);
    expect(rows).toEqual([{ line_id: '3', diameter: 32.004, body_temperatures: [181.5, 199.9, 214, 226.3], backfill: false }]);
    await ws.close();
  });

  it('dead-letters a bad payload with its reason and goes on ingesting', async () => {
    const ws = await TestWsClient.connect(api.wsUrl);
    await publish('1', 'definitely not json');
    await publish('1', { diameter: 'wide' });
    await publish('42', { diameter: 20 });
    await publish('1', { diameter: 20.001 });

    await ws.next((f) => f.type === 'production_data' && (f.data as { diameter: number }).diameter === 20.001, 'the good message after the bad ones');
    const letters = await waitFor(async () => {
      const { rows } = await db.query<{ topic: string; payload: string; reason: string }>(`SELECT topic, payload, reason FROM dead_letters ORDER BY id`);
      return rows.length >= 3 && rows;
    }, 'three dead letters');
    // Dead letters are written as they come, not in a global order.
    expect(letters).toHaveLength(3);
    expect(letters).toEqual(
      expect.arrayContaining([
        { topic: 'plant/lines/1/telemetry', payload: 'definitely not json', reason: 'payload is not a JSON object' },
        { topic: 'plant/lines/1/telemetry', payload: '{"diameter":"wide"}', reason: 'diameter: must be a finite number' },
        { topic: 'plant/lines/42/telemetry', payload: '{"diameter":20}', reason: 'unknown line "42"' },
      ]),
    );
    const res = await fetch(`${api.httpUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', ingest: { dead_lettered: 3 } });
    await ws.close();
  });

  it('drops a redelivered duplicate by its key: stored and broadcast once', async () => {
    const ws = await TestWsClient.connect(api.wsUrl);
    const reading = { timestamp: new Date(Date.now() - 5000).toISOString(), diameter: 25.5 };
    await publish('2', reading);
    await publish('2', reading);
    await publish('2', { diameter: 25.6 });
    await ws.next((f) => (f.data as { diameter?: number }).diameter === 25.6, 'the message after the duplicate');
    expect(ws.ofType('production_data').filter((f) => (f.data as { diameter: number }).diameter === 25.5)).toHaveLength(1);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE line_id = '2' AND time = $1`, [reading.timestamp]);
    expect(rows[0].n).toBe(1);
    await ws.close();
  });

  it('answers a heartbeat with the server time, echoing client_id and request_id', async () => {
    const ws = await TestWsClient.connect(api.wsUrl);
    ws.send({ type: 'heartbeat', timestamp: new Date().toISOString(), data: { client_id: 'dash-1', request_id: 'hb-1' } });
    const reply = await ws.next((f) => f.type === 'heartbeat', 'heartbeat reply');
    expect(reply.data).toMatchObject({ client_id: 'dash-1', request_id: 'hb-1' });
    expect(Math.abs(Date.parse((reply.data as { server_time: string }).server_time) - Date.now())).toBeLessThan(5000);
    await ws.close();
  });

  it('answers bad frames with error frames and keeps the connection (and the stream) going', async () => {
    const ws = await TestWsClient.connect(api.wsUrl);
    const before = (await (await fetch(`${api.httpUrl}/health/websocket`)).json()) as { errors: number };
    ws.send('{"type": nope');
    ws.send({ type: 'launch_missiles', data: {} });
    ws.send({ type: 'subscribe', data: { lines: 5 } });
    ws.ws.send(Buffer.from([0xde, 0xad]), { binary: true });
    await waitFor(() => ws.ofType('error').length >= 4 || undefined, 'four error frames');
    expect(ws.ofType('error').map((f) => (f.data as { code: string }).code)).toEqual([
      ErrorCode.INVALID_JSON,
      ErrorCode.UNKNOWN_TYPE,
      ErrorCode.INVALID_DATA,
      ErrorCode.BINARY_NOT_SUPPORTED,
    ]);
    expect(ws.ofType('error')[0].data).toMatchObject({ original_message: '{"type": nope' });

    await publish('4', { diameter: 40.2 });
    await ws.next((f) => f.type === 'production_data' && (f.data as { production_line_id: string }).production_line_id === '4', 'data after the bad frames');
    expect(ws.closed).toBeNull();
    const after = (await (await fetch(`${api.httpUrl}/health/websocket`)).json()) as { errors: number };
    expect(after.errors - before.errors).toBe(4);
    await ws.close();
  });

  it('reports FastAPI-compatible WebSocket statistics and 404s as {detail}', async () => {
    const ws = await TestWsClient.connect(api.wsUrl);
    await ws.next((f) => f.type === 'connected', 'connected');
    // Earlier tests' connections close asynchronously on the server side: wait until only this one is left.
    const stats = await waitFor(async () => {
      const s = (await (await fetch(`${api.httpUrl}/health/websocket`)).json()) as Record<string, unknown>;
      return s.active_connections === 1 && s;
    }, 'one active connection');
    for (const key of ['total_connections', 'active_connections', 'messages_sent', 'errors']) {
      expect(Number.isInteger(stats[key])).toBe(true);
    }
    expect(stats.total_connections).toBeGreaterThanOrEqual(6);
    const missing = await fetch(`${api.httpUrl}/api/lines/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Line nope not found' });
    await ws.close();
  });
});
