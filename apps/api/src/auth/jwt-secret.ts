import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MIN_JWT_SECRET_LENGTH } from './auth-config';

/**
 * JWT_SECRET when set. Otherwise (demo mode only: production refuses to start without it) a random
 * secret made on first start and kept in DATA_DIR, so tokens survive restarts and no secret is ever a
 * constant in the repository.
 */
export async function resolveJwtSecret(configured: string | null, dataDir: string): Promise<string> {
  if (configured) return configured;
  const file = join(dataDir, 'jwt-secret');
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= MIN_JWT_SECRET_LENGTH) return existing;
  } catch {
    // first start
  }
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // Write aside, then link into place: two processes starting on one data dir agree on one secret.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, `${secret}\n`, { mode: 0o600 });
  try {
    await link(tmp, file);
    return secret;
  } catch {
    return (await readFile(file, 'utf8')).trim();
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
