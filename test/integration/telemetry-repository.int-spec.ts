import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { TelemetryRepository, rowKey, type TelemetryRow } from '../../apps/api/src/telemetry/telemetry.repository';
import { createTestDatabase } from '../support/database';

const row = (lineId: string, time: string, diameter: number, extra: Partial<TelemetryRow> = {}): TelemetryRow => ({
  lineId,
  time: new Date(time),
  body_temperatures: [180.5, 201, 222.25],
  diameter,
  line_speed: 10,
  melt_pressure: 150,
  screw_speed: 60,
  msg_id: null,
  backfill: false,
  receivedAt: new Date(),
  ...extra,
});

describe(TelemetryRepository.name, () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let repo: TelemetryRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize(); // runs the migrations
    repo = new TelemetryRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('migrates an empty database to the schema, and back down, and up again', async () => {
    const tables = async () =>
      (await ds.query<{ tablename: string }[]>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.tablename);
    const kind = async () => (await ds.query<{ relkind: string }[]>(`SELECT relkind FROM pg_class WHERE oid = 'telemetry'::regclass`))[0].relkind;
    expect(await tables()).toEqual(expect.arrayContaining(['dead_letters', 'lines', 'telemetry']));
    // Every migration goes down and up again; telemetry is partitioned by time at the end ('p').
    const applied = (await ds.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM migrations`))[0].n;
    expect(await kind()).toBe('p');
    // Down through the later migrations to the partitioning one: then telemetry is a plain table again.
    let undone = 0;
    while ((await kind()) === 'p' && undone < applied) {
      await ds.undoLastMigration();
      undone++;
    }
    expect(await kind()).toBe('r');
    for (; undone < applied; undone++) await ds.undoLastMigration();
    expect(await tables()).not.toContain('telemetry');
    await ds.runMigrations();
    expect(await kind()).toBe('p');
  });

  it('writes a batch of many lines in one statement and reads the arrays back exactly', async () => {
    const rows = ['1', '2', '3'].map((l, i) => row(l, '2026-11-24T10:00:00.100Z', 20 + i));
    // Every row inserted: reported as 'all' (no keys built).
    expect(await repo.insertBatch(rows)).toBe('all');
    const back = await ds.query<unknown[]>(`SELECT line_id, diameter, body_temperatures FROM telemetry ORDER BY line_id`);
    expect(back).toEqual([
      { line_id: '1', diameter: 20, body_temperatures: [180.5, 201, 222.25] },
      { line_id: '2', diameter: 21, body_temperatures: [180.5, 201, 222.25] },
      { line_id: '3', diameter: 22, body_temperatures: [180.5, 201, 222.25] },
    ]);
  });

  it('skips rows whose (line, time) is stored already and reports only the new ones', async () => {
    const again = row('1', '2026-11-24T10:00:00.100Z', 99);
    const fresh = row('1', '2026-11-24T10:00:00.200Z', 20.5, { body_temperatures: null });
    const inserted = await repo.insertBatch([again, fresh]);
    expect(inserted).toEqual(new Set([rowKey('1', fresh.time)]));
    const { diameter } = (await ds.query<{ diameter: number }[]>(`SELECT diameter FROM telemetry WHERE line_id = '1' AND time = $1`, [again.time]))[0];
    expect(diameter).toBe(20); // the first write wins: a redelivery never overwrites
  });

  it('keeps times to the millisecond, and reports a key repeated within one batch once', async () => {
    const a = row('4', '2026-11-24T10:00:00.123Z', 20, { msg_id: 'NULL', receivedAt: new Date('2026-11-24T10:00:01.999Z') });
    const twin = row('4', '2026-11-24T10:00:00.123Z', 21, { msg_id: 'a "quoted", {braced} \\ id' });
    expect(await repo.insertBatch([a, twin])).toEqual(new Set([rowKey('4', a.time)]));
    const back = await ds.query<{ time: Date; received_at: Date; msg_id: string }[]>(`SELECT time, received_at, msg_id FROM telemetry WHERE line_id = '4'`);
    expect(back).toEqual([{ time: a.time, received_at: a.receivedAt, msg_id: 'NULL' }]);
    expect(await repo.insertBatch([{ ...twin, time: new Date('2026-11-24T10:00:00.124Z') }])).toBe('all');
    const quoted = await ds.query<{ msg_id: string }[]>(`SELECT msg_id FROM telemetry WHERE line_id = '4' AND time = '2026-11-24T10:00:00.124Z'`);
    expect(quoted).toEqual([{ msg_id: twin.msg_id }]);
  });
});
