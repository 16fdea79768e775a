import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The live stream's state saved by a graceful shutdown (epoch, last seq, replay ring), one row per api
 * instance; the next start of that instance takes it (and deletes it) to continue the same stream.
 */
export class StreamState1764500000000 implements MigrationInterface {
  name = 'StreamState1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stream_state (
        instance_id text PRIMARY KEY,
        epoch text NOT NULL,
        seq bigint NOT NULL,
        -- [[seq, type, line_id, frame], ...] oldest first: the serialised frames, resent as they were.
        ring jsonb NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_stream_state_seq CHECK (seq >= 0)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stream_state`);
  }
}
