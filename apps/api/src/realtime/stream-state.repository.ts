import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SavedEntry, SavedStreamState, StreamStateStore } from './stream-state';

/** stream_state (migration 1764500000000): the stream a graceful shutdown left, one row per instance. */
@Injectable()
export class StreamStateRepository implements StreamStateStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async take(instanceId: string): Promise<SavedStreamState | null> {
    // DELETE ... RETURNING: read and invalidated at once, so a later crash never continues a stale stream.
    const [rows] = await this.db.query<[{ epoch: string; seq: string; ring: SavedEntry[] }[], number]>(
      `DELETE FROM stream_state WHERE instance_id = $1 RETURNING epoch, seq, ring`,
      [instanceId],
    );
    const row = rows[0];
    return row ? { epoch: row.epoch, seq: Number(row.seq), ring: row.ring } : null;
  }

  async save(instanceId: string, state: SavedStreamState): Promise<void> {
    await this.db.query(
      `INSERT INTO stream_state (instance_id, epoch, seq, ring, saved_at) VALUES ($1, $2, $3, $4::jsonb, now())
       ON CONFLICT (instance_id) DO UPDATE SET epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, ring = EXCLUDED.ring, saved_at = EXCLUDED.saved_at`,
      [instanceId, state.epoch, state.seq, JSON.stringify(state.ring)],
    );
  }
}
