import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../apps/api/src/config/app-config';
import { dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { TelemetryPartitionsRepository } from '../../apps/api/src/telemetry/telemetry-partitions.repository';
import { TelemetryPartitionsService } from '../../apps/api/src/telemetry/telemetry-partitions.service';
import { createTestDatabase } from '../support/database';

const DAY = 24 * 3600_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const part = (ms: number): string => `telemetry_p${day(ms).replace(/-/g, '')}`;

describe(TelemetryPartitionsService.name, () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  const now = Date.parse('2026-11-24T12:00:00Z');

  const service = (env: Record<string, string>): TelemetryPartitionsService =>
    new TelemetryPartitionsService(new TelemetryPartitionsRepository(ds), loadConfig({ NODE_ENV: 'test', ...env }));
  const partitions = async (): Promise<string[]> =>
    (
      await ds.query<{ relname: string }[]>(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry'::regclass ORDER BY 1`,
      )
    ).map((r) => r.relname);
  const insert = (ms: number): Promise<unknown> =>
    ds.query(`INSERT INTO telemetry (line_id, time, diameter, received_at) VALUES ('1', $1, 20, now())`, [new Date(ms)]);
  const whereIs = async (ms: number): Promise<string> =>
    (await ds.query<{ t: string }[]>(`SELECT tableoid::regclass::text AS t FROM telemetry WHERE line_id = '1' AND time = $1`, [new Date(ms)]))[0]?.t;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('creates day partitions from yesterday to the days ahead, and rows go to their day', async () => {
    await service({ TELEMETRY_PARTITIONS_AHEAD_DAYS: '3' }).maintain(now);
    const names = await partitions();
    for (let d = -1; d <= 3; d++) expect(names).toContain(part(now + d * DAY));
    expect(names).toContain('telemetry_default');
    await insert(now);
    expect(await whereIs(now)).toBe(part(now));
  });

  it('moves rows out of the default partition when their day gets a partition', async () => {
    const old = now - 40 * DAY;
    await insert(old);
    expect(await whereIs(old)).toBe('telemetry_default');
    await service({}).maintain(old);
    expect(await whereIs(old)).toBe(part(old));
    expect(Number((await ds.query<{ count: string }[]>(`SELECT count(*) FROM telemetry_default`))[0].count)).toBe(0);
  });

  it('drops whole days older than the retention, and stray old rows in the default partition', async () => {
    const stray = now - 100 * DAY;
    await insert(stray);
    expect(await whereIs(stray)).toBe('telemetry_default');
    await service({ TELEMETRY_RETENTION_DAYS: '30' }).maintain(now);
    const names = await partitions();
    expect(names).not.toContain(part(now - 40 * DAY));
    expect(names).toContain(part(now));
    expect(await whereIs(stray)).toBeUndefined();
    expect(await whereIs(now - 40 * DAY)).toBeUndefined();
    expect(await whereIs(now)).toBe(part(now));
  });

  it('keeps PRIMARY KEY (line_id, time) across partitions: a duplicate is refused', async () => {
    await expect(insert(now)).rejects.toThrow(/duplicate key/);
  });
});
