import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { topics } from '@lm/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import type pg from 'pg';
import type { HistoryResponse } from '../../apps/api/src/history/dto/history.dto';
import { startTestApi, type TestApi } from '../support/api';
import { connect } from '../support/database';
import { expectSameAsRaw } from '../support/history-reference';
import { waitFor } from '../support/waiting';

const MIN = 60_000;

// The real api keeps the per-minute rollup up to date by itself (its job on a short interval here), a
// backfill over MQTT into an already rolled-up minute is re-rolled, and trends over HTTP stay equal to
// date_bin over raw rows all along, recent edge included.
describe('per-minute rollup behind /history, end to end', () => {
  let api: TestApi;
  let db: pg.Client;
  let device: MqttClient;
  let auth: Record<string, string>;
  const start = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;

  const query = async <T>(sql: string, params: unknown[]): Promise<T[]> => (await db.query(sql, params)).rows as T[];
  const state = async (): Promise<{ rolled_before: Date | null; dirty: number }> =>
    (await query<{ rolled_before: Date | null; dirty: number }>(`SELECT rolled_before, (SELECT count(*) FROM telemetry_rollup_dirty)::int AS dirty FROM telemetry_rollup_state`, []))[0];
  /** Every minute closed (10 s ago) rolled up, and no minute left dirty. */
  const caughtUp = async (): Promise<boolean> => {
    const s = await state();
    return s.dirty === 0 && s.rolled_before !== null && s.rolled_before.getTime() >= Math.floor((Date.now() - 10_000) / MIN) * MIN - MIN;
  };
  const trend = async (from: number, to: number, maxPoints: number): Promise<HistoryResponse> => {
    const res = await fetch(
      `${api.httpUrl}/api/lines/4/history?metric=diameter&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&max_points=${maxPoints}`,
      { headers: auth },
    );
    expect(res.status).toBe(200);
    return (await res.json()) as HistoryResponse;
  };

  beforeAll(async () => {
    api = await startTestApi({ ROLLUP_INTERVAL_MS: '200' });
    db = await connect(api.databaseUrl);
    device = await mqtt.connectAsync(api.mqttUrl, { clientId: 'e2e-rollup-device', username: 'device', password: 'device-demo' });
    const res = await fetch(`${api.httpUrl}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'operator', password: 'operator-demo' }),
    });
    auth = { authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
    // The last 30 minutes of line 4 up to now at 10 Hz, every tenth reading missing (room for a backfill).
    await db.query(
      `INSERT INTO telemetry (line_id, time, diameter, received_at)
       SELECT '4', t, 20 + random(), now() FROM generate_series($1::timestamptz, now(), INTERVAL '100 milliseconds') AS t
       WHERE (extract(milliseconds FROM t)::int / 100) % 10 <> 7`,
      [new Date(start)],
    );
  }, 60_000);

  afterAll(async () => {
    await device?.endAsync();
    await db?.end();
    await api?.stop();
  });

  it('answers from the rollup what raw rows answer, up to the still-open minutes', async () => {
    await waitFor(caughtUp, 'the rollup to catch up', 20_000);
    const rolled = (await state()).rolled_before!.getTime();
    const to = Date.now();
    // More than 30 min 20 s in 30 points: buckets of a minute or more, so the rollup's path.
    const r = await trend(start - 20_000, to, 30);
    await expectSameAsRaw(query, r, 'diameter');
    // The recent edge: readings after the rolled-up minutes are in the last bucket.
    const [{ n }] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE line_id = '4' AND time >= $1 AND time < $2`, [new Date(rolled), new Date(to)]);
    expect(n).toBeGreaterThan(0);
    expect(r.points.reduce((a, p) => a + p.count, 0)).toBe((await query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE line_id = '4' AND time < $1`, [new Date(to)]))[0].n);
  });

  it('re-rolls a rolled-up minute that a backfill array over MQTT fills in', async () => {
    await waitFor(caughtUp, 'the rollup to catch up', 20_000);
    const minute = start + 12 * MIN;
    const backfill = Array.from({ length: 60 }, (_, i) => ({ timestamp: new Date(minute + i * 1000 + 700).toISOString(), diameter: i === 0 ? 5 : 50 }));
    await device.publishAsync(topics.telemetry('4'), JSON.stringify(backfill), { qos: 1 });
    await waitFor(
      async () => (await query<{ n: number }>(`SELECT count(*)::int AS n FROM telemetry WHERE line_id = '4' AND backfill AND time >= $1`, [new Date(minute)]))[0].n === 60,
      'the backfill stored',
    );
    // Whether the job has re-rolled the minute yet or not, the trend has the backfill.
    const r = await trend(start, start + 30 * MIN, 30);
    expect(r.points[12]).toMatchObject({ time: new Date(minute).toISOString(), min: 5, max: 50, count: 600 });
    await expectSameAsRaw(query, r, 'diameter');
    await waitFor(caughtUp, 'the backfilled minute re-rolled', 20_000);
    expect(await query(`SELECT min, max, count FROM telemetry_rollup WHERE line_id = '4' AND metric = 'diameter' AND minute = $1`, [new Date(minute)])).toEqual([
      { min: 5, max: 50, count: 600 },
    ]);
    await expectSameAsRaw(query, await trend(start, start + 30 * MIN, 30), 'diameter');
  });
});
