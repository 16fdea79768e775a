import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';
import { type BrokerFixture, startBrokerFixture } from './api-process';
import { publishSequence } from './publisher';

const TOTAL = 3000;

// DESIGN.md 4 and issue 8: on SIGTERM an instance tells its WebSocket clients to reconnect (1001),
// flushes what it has, acknowledges nothing it has not committed, and exits cleanly.
describe('graceful shutdown on SIGTERM (mosquitto, the api as a real process)', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await startBrokerFixture('lm-sigterm-test-api');
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('closes WebSockets with 1001, exits 0, and loses nothing it was sent', async () => {
    const ws = await TestWsClient.connect(`ws://127.0.0.1:${f.api.port}/ws`);
    await ws.next((f) => f.type === 'connected', 'connected');
    const base = Date.now() - 3600_000;
    const publishing = publishSequence(f.publisher, 0, TOTAL, base);
    await waitFor(async () => (await f.count()) >= TOTAL / 5, 'a fifth of the sequence stored', 30_000);

    const exited = new Promise<number | null>((resolve) => f.api.child.once('exit', (code) => resolve(code)));
    f.api.child.kill('SIGTERM');
    await waitFor(() => ws.closed ?? undefined, 'the WebSocket to be closed by the server', 10_000);
    expect(ws.closed?.code).toBe(1001);
    expect(await exited).toBe(0);
    await publishing;

    f.api = await f.start();
    let now = 0;
    await waitFor(async () => (now = await f.count()) >= TOTAL, 'all numbers stored', 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}: ${now} of ${TOTAL}. api: ${f.api.output().slice(-3000)}`);
    });
    const { rows } = await f.sql.query(`SELECT count(*)::int AS n, count(DISTINCT msg_id::int)::int AS distinct_n FROM telemetry WHERE msg_id ~ '^[0-9]+$'`);
    expect(rows[0]).toEqual({ n: TOTAL, distinct_n: TOTAL });
  }, 120_000);
});
