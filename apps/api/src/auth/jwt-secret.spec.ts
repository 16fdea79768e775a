import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { resolveJwtSecret } from './jwt-secret';

describe('resolveJwtSecret', () => {
  it('uses JWT_SECRET when set; otherwise makes one per data dir, private, and keeps it across starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lm-jwt-'));
    try {
      expect(await resolveJwtSecret('x'.repeat(40), dir)).toBe('x'.repeat(40));
      const [a, b] = await Promise.all([resolveJwtSecret(null, dir), resolveJwtSecret(null, dir)]);
      expect(a).toHaveLength(64);
      expect(b).toBe(a);
      expect(await resolveJwtSecret(null, dir)).toBe(a);
      expect((await readFile(join(dir, 'jwt-secret'), 'utf8')).trim()).toBe(a);
      expect((await stat(join(dir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
      const other = await mkdtemp(join(tmpdir(), 'lm-jwt-'));
      expect(await resolveJwtSecret(null, other)).not.toBe(a);
      await rm(other, { recursive: true });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
