import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { StreamState1764500000000 } from '../../apps/api/src/database/migrations/1764500000000-stream-state';
import { StreamStateRepository } from '../../apps/api/src/realtime/stream-state.repository';
import type { SavedEntry } from '../../apps/api/src/realtime/stream-state';
import { createTestDatabase } from '../support/database';

const frame = (seq: number): string => JSON.stringify({ type: 'production_data', timestamp: '2026-01-01T00:00:00.000Z', seq, data: { note: 'ü "quoted" \\ \u2028' } });

describe(StreamStateRepository.name, () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let repo: StreamStateRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize(); // runs the migrations
    repo = new StreamStateRepository(ds);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('keeps the last save per instance and hands it out once, frames byte for byte', async () => {
    const ring: SavedEntry[] = Array.from({ length: 10_000 }, (_, i) => [i + 1, 'production_data', String((i % 8) + 1), frame(i + 1)]);
    await repo.save('api-1', { epoch: 'old', seq: 3, ring: [] });
    await repo.save('api-1', { epoch: 'e1', seq: 10_000, ring });
    await repo.save('api-2', { epoch: 'e2', seq: 0, ring: [] });

    const taken = await repo.take('api-1');
    expect(taken).toEqual({ epoch: 'e1', seq: 10_000, ring });
    expect(await repo.take('api-1')).toBeNull();
    expect(await repo.take('api-2')).toEqual({ epoch: 'e2', seq: 0, ring: [] });
  });

  it('migrates down and up again', async () => {
    const exists = async (): Promise<boolean> => (await ds.query<{ t: string | null }[]>(`SELECT to_regclass('stream_state')::text AS t`))[0].t !== null;
    const q = ds.createQueryRunner();
    try {
      await new StreamState1764500000000().down(q);
      expect(await exists()).toBe(false);
      await new StreamState1764500000000().up(q);
      expect(await exists()).toBe(true);
    } finally {
      await q.release();
    }
  });
});
