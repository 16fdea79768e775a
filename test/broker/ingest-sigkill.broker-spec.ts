import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/waiting';
import { type BrokerFixture, startBrokerFixture } from './api-process';
import { numbered, publishSequence } from './publisher';

const TOTAL = 4000;

// The api as a real process (built by `npm test` for this tier) on a real mosquitto: killed with SIGKILL
// mid-stream, restarted with the same persistent session, and every number must be stored exactly once.
describe('ingest survives SIGKILL of the api (mosquitto, QoS 1, persistent session)', () => {
  let f: BrokerFixture;

  beforeAll(async () => {
    f = await startBrokerFixture('lm-sigkill-test-api');
  }, 60_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('stores every number exactly once after a SIGKILL mid-stream', async () => {
    const base = Date.now() - 3600_000;
    const publishing = publishSequence(f.publisher, 0, TOTAL, base);
    // Kill while messages are arriving: some committed, some in flight, most still at the broker.
    await waitFor(async () => (await f.count()) >= TOTAL / 5, 'a fifth of the sequence stored', 30_000);
    f.api.child.kill('SIGKILL');
    await waitFor(() => f.api.child.signalCode === 'SIGKILL', 'the api to die');
    const atKill = await f.count();
    expect(atKill).toBeLessThan(TOTAL);
    await publishing; // the broker holds the rest for the api's session

    f.api = await f.start();
    let now = 0;
    await waitFor(async () => (now = await f.count()) >= TOTAL, 'all numbers stored', 60_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}: ${now} of ${TOTAL} (${atKill} at the kill). api: ${f.api.output().slice(-3000)} broker: ${f.broker.output()}`);
    });
    const { rows } = await f.sql.query(
      `SELECT count(*)::int AS n, count(DISTINCT msg_id::int)::int AS distinct_n, min(msg_id::int) AS lo, max(msg_id::int) AS hi
       FROM telemetry WHERE msg_id ~ '^[0-9]+$'`,
    );
    expect(rows[0]).toEqual({ n: TOTAL, distinct_n: TOTAL, lo: 0, hi: TOTAL - 1 });
    // Nothing refused either (redelivered messages arrive before the app's registry would otherwise be loaded).
    expect((await f.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letters`)).rows[0].n).toBe(0);
    // And each row is the one that number was sent as (line and time).
    const sample = numbered(TOTAL - 1, base);
    const last = await f.sql.query<{ line_id: string; time: Date }>(`SELECT line_id, time FROM telemetry WHERE msg_id = $1`, [String(TOTAL - 1)]);
    expect(`plant/lines/${last.rows[0].line_id}/telemetry`).toBe(sample.topic);
    expect(last.rows[0].time.getTime()).toBe(base + TOTAL - 1);
  }, 120_000);
});
