import type { DataSource, Migration } from 'typeorm';

/** pg_advisory_lock key of schema migrations ("lmmigrat" in ASCII): one instance migrates at a time. */
const MIGRATION_LOCK = 0x6c6d6d6967726174n;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so that api instances starting
 * together do not race (TypeORM has no lock of its own: typeorm/typeorm#4588). The others wait, then
 * find nothing pending. The lock is the session's: it goes with the connection if the process dies.
 */
export async function runMigrationsLocked(ds: DataSource): Promise<Migration[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    try {
      return await ds.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]);
    }
  } finally {
    await runner.release();
  }
}
