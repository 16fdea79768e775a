import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { MIGRATIONS, dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { runMigrationsLocked } from '../../apps/api/src/database/migrate-locked';
import { createTestDatabase } from '../support/database';

// Several api instances start together on an empty database (docker compose, a rolling deploy).
describe('migrations under the advisory lock', () => {
  let db: { url: string; drop(): Promise<void> };
  const sources: DataSource[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    for (const ds of sources) if (ds.isInitialized) await ds.destroy();
    await db.drop();
  });

  it('applies each migration once when four instances start at the same moment', async () => {
    for (let i = 0; i < 4; i++) sources.push(new DataSource({ ...dataSourceOptions(db.url), migrationsRun: false }));
    await Promise.all(sources.map((ds) => ds.initialize()));
    const applied = await Promise.all(sources.map((ds) => runMigrationsLocked(ds)));
    // One instance did the work, the others found nothing pending.
    expect(applied.map((a) => a.length).sort((x, y) => y - x)).toEqual([MIGRATIONS.length, 0, 0, 0]);
    const rows: { n: number; d: number }[] = await sources[0].query(`SELECT count(*)::int AS n, count(DISTINCT name)::int AS d FROM migrations`);
    expect(rows[0]).toEqual({ n: MIGRATIONS.length, d: MIGRATIONS.length });
  });
});
