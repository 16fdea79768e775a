import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../apps/api/src/database/embedded-postgres';
import { freePort } from './ports';

/**
 * One real PostgreSQL for the whole run (every tier that needs one shares it; each test file makes its
 * own database on it). TEST_DATABASE_URL points at an external server instead.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const g = globalThis as { __lmPostgres?: { stop(): Promise<void> } };
  if (g.__lmPostgres) return;
  // Under /tmp: as root the cluster runs as the postgres user, which must reach its directory.
  const dir = mkdtempSync(join(tmpdir(), 'lm-test-pg-'));
  chmodSync(dir, 0o755);
  const db = await startEmbeddedPostgres(join(dir, 'data'), await freePort());
  g.__lmPostgres = db;
  process.env.TEST_DATABASE_URL = db.url;
}
