import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { TelemetryRollup1764400000000 } from '../../apps/api/src/database/migrations/1764400000000-telemetry-rollup';
import type { HistoryResponse } from '../../apps/api/src/history/dto/history.dto';
import { HistoryRepository } from '../../apps/api/src/history/history.repository';
import { HistoryService } from '../../apps/api/src/history/history.service';
import { RollupRepository } from '../../apps/api/src/history/rollup.repository';
import { RollupService } from '../../apps/api/src/history/rollup.service';
import type { LinesService } from '../../apps/api/src/lines/lines.service';
import { connect, createTestDatabase } from '../support/database';
import { expectSameAsRaw as sameAsRaw } from '../support/history-reference';

const MIN = 60_000;
const T0 = Date.parse('2026-11-24T08:00:00Z');
const END = T0 + 120 * MIN;
/** The job runs as if at this time: minutes before T0 + 115 min are rolled up, the last 5 are not. */
const NOW = T0 + 115 * MIN + 30_000;
const iso = (ms: number): string => new Date(ms).toISOString();

// The per-minute rollup must give the answer date_bin over raw rows gives: min and max exactly, avg within
// float tolerance, however the range is cut, with late rows and with the not-yet-rolled recent edge.
describe(RollupService.name, () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let history: HistoryService;
  let rollup: RollupService;

  const service = (env: Record<string, string> = {}): RollupService =>
    new RollupService(new RollupRepository(ds), loadConfig({ NODE_ENV: 'test', ROLLUP_INTERVAL_MS: '0', ...env }));

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize();
    await ds.query(`INSERT INTO lines (id, name, zone_count) VALUES ('1', 'Line 1', 5), ('2', 'Line 2', 5)`);
    // Two hours of line 1 at 10 Hz with every tenth reading missing (room for a backfill), random values,
    // line_speed missing now and then; line 2 alongside, so the job rolls more than one line.
    await ds.query(`SELECT setseed(0.42)`);
    await ds.query(
      `INSERT INTO telemetry (line_id, time, diameter, line_speed, body_temperatures, received_at)
       SELECT l, $1::timestamptz + i * INTERVAL '100 milliseconds', 20 + random(),
              CASE WHEN i % 13 = 0 THEN NULL ELSE 12 + random() END,
              ARRAY[180 + random(), 195 + random(), 210 + 10 * random(), 222 + random(), 230 + random()]::real[], now()
       FROM generate_series(0, 71999) AS i, (VALUES ('1'), ('2')) AS v(l)
       WHERE i % 10 <> 7`,
      [new Date(T0)],
    );
    const lines = { get: (id: string) => (id === '1' || id === '2' ? { zone_count: 5 } : null) } as unknown as LinesService;
    history = new HistoryService(new HistoryRepository(ds), lines);
    rollup = service();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const expectSameAsRaw = (r: HistoryResponse, expr: string): Promise<void> => sameAsRaw(<T>(sql: string, params: unknown[]) => ds.query<T[]>(sql, params), r, expr);

  const rollupRows = async (): Promise<number> => Number((await ds.query<{ n: string }[]>(`SELECT count(*) AS n FROM telemetry_rollup`))[0].n);

  it('rolls up closed minutes of every line, and trends read them with the answer of raw rows', async () => {
    const run = await rollup.runOnce(NOW);
    expect(run).toEqual({ skipped: false, rolledBefore: new Date(T0 + 115 * MIN), rerolled: 0 });
    // 115 minutes x 2 lines x (diameter, line_speed, 5 zones).
    expect(await rollupRows()).toBe(115 * 2 * 7);
    const cases: [string, string, number, number, number][] = [
      ['diameter', 'diameter', T0, END, 120], // aligned, one-minute buckets
      ['diameter', 'diameter', T0 - 7 * MIN - 12_345, END + 3_000, 17], // cut mid-minute at both ends
      ['line_speed', 'line_speed', T0 + 5 * MIN + 500, T0 + 100 * MIN, 30],
      ['zone_3', 'body_temperatures[3]', T0 + 33_300, END - 7_700, 50],
    ];
    for (const [metric, expr, from, to, maxPoints] of cases) {
      const r = await history.history('1', { metric, from: iso(from), to: iso(to), max_points: maxPoints });
      expect(r.points.length).toBeLessThanOrEqual(maxPoints);
      await expectSameAsRaw(r, expr);
    }
  });

  it('has the recent edge: minutes the rollup does not cover yet come from raw rows', async () => {
    const r = await history.history('1', { metric: 'diameter', from: iso(T0), to: iso(END), max_points: 120 });
    // The last five minutes are not rolled up (NOW), and they are all there.
    expect(r.points.slice(-5).map((p) => [p.time, p.count])).toEqual([115, 116, 117, 118, 119].map((m) => [iso(T0 + m * MIN), 540]));
    await expectSameAsRaw(r, 'diameter');
  });

  it('re-rolls a minute that gets a backfill after it was rolled up, and never shows it stale meanwhile', async () => {
    const minute = T0 + 42 * MIN;
    // The missing tenth readings of minute 42, with values outside everything else (new min and max).
    await ds.query(
      `INSERT INTO telemetry (line_id, time, diameter, line_speed, body_temperatures, backfill, received_at)
       SELECT '1', $1::timestamptz + (i * 10 + 7) * INTERVAL '100 milliseconds', CASE WHEN i = 0 THEN 5 ELSE 50 END, 1, ARRAY[1, 2, 3, 4, 5]::real[], true, now()
       FROM generate_series(0, 59) AS i
       ON CONFLICT (line_id, time) DO NOTHING`,
      [new Date(minute)],
    );
    expect(await ds.query(`SELECT line_id, minute FROM telemetry_rollup_dirty`)).toEqual([{ line_id: '1', minute: new Date(minute) }]);
    const q = { metric: 'diameter', from: iso(T0 + 30 * MIN), to: iso(T0 + 60 * MIN), max_points: 30 };
    // Before the job ran again: the dirty minute is read raw.
    const before = await history.history('1', q);
    expect(before.points[12]).toMatchObject({ time: iso(minute), min: 5, max: 50, count: 600 });
    await expectSameAsRaw(before, 'diameter');

    const run = await rollup.runOnce(NOW + 20_000);
    expect(run.rerolled).toBe(1);
    expect(await ds.query(`SELECT * FROM telemetry_rollup_dirty`)).toEqual([]);
    const [row] = await ds.query<{ min: number; max: number; count: number }[]>(
      `SELECT min, max, count FROM telemetry_rollup WHERE line_id = '1' AND metric = 'diameter' AND minute = $1`,
      [new Date(minute)],
    );
    expect(row).toEqual({ min: 5, max: 50, count: 600 });
    await expectSameAsRaw(await history.history('1', q), 'diameter');
  });

  it('live rows (newer than the rolled-up minutes) mark nothing', async () => {
    await ds.query(`INSERT INTO telemetry (line_id, time, diameter, received_at) VALUES ('1', $1, 21, now())`, [new Date(END + 1000)]);
    expect(await ds.query(`SELECT * FROM telemetry_rollup_dirty`)).toEqual([]);
  });

  it('reads the rollup, not raw rows, for rolled-up minutes', async () => {
    // Proof by tampering: a doctored rollup minute shows in the trend.
    await ds.query(`UPDATE telemetry_rollup SET max = 1234.5 WHERE line_id = '1' AND metric = 'diameter' AND minute = $1`, [new Date(T0 + 10 * MIN)]);
    const r = await history.history('1', { metric: 'diameter', from: iso(T0), to: iso(END), max_points: 120 });
    expect(r.points[10]).toMatchObject({ time: iso(T0 + 10 * MIN), max: 1234.5 });
    await ds.query(`INSERT INTO telemetry_rollup_dirty (line_id, minute) VALUES ('1', $1)`, [new Date(T0 + 10 * MIN)]);
    await rollup.runOnce(NOW + 20_000);
    await expectSameAsRaw(await history.history('1', { metric: 'diameter', from: iso(T0), to: iso(END), max_points: 120 }), 'diameter');
  });

  it('runs on one instance at a time', async () => {
    let other: pg.Client | null = null;
    try {
      other = await connect(db.url);
      await other.query(`SELECT pg_advisory_lock(hashtext('lm_telemetry_rollup_job'))`);
      expect((await service().runOnce(NOW + 60_000)).skipped).toBe(true);
    } finally {
      await other?.end();
    }
    expect((await service().runOnce(NOW + 60_000)).skipped).toBe(false);
  });

  it('migrates down and up again', async () => {
    const migration = new TelemetryRollup1764400000000();
    const qr = ds.createQueryRunner();
    const objects = async (): Promise<unknown[]> =>
      (await qr.query(
        `SELECT relname AS name FROM pg_class WHERE relname LIKE 'telemetry_rollup%' AND relkind = 'r'
         UNION ALL SELECT tgname FROM pg_trigger WHERE tgname = 'telemetry_rollup_mark' ORDER BY 1`,
      )) as unknown[];
    try {
      await migration.down(qr);
      expect(await objects()).toEqual([]);
      await ds.query(`INSERT INTO telemetry (line_id, time, diameter, received_at) VALUES ('1', $1, 20, now())`, [new Date(T0 - MIN)]);
      await migration.up(qr);
      expect(await objects()).toEqual(['telemetry_rollup', 'telemetry_rollup_dirty', 'telemetry_rollup_mark', 'telemetry_rollup_state'].map((name) => ({ name })));
    } finally {
      await qr.release();
    }
  });

  it('follows the telemetry retention', async () => {
    const now = T0 + 2 * 24 * 3600_000;
    await service({ TELEMETRY_RETENTION_DAYS: '1' }).runOnce(now);
    expect(await rollupRows()).toBe(0);
  });
});
