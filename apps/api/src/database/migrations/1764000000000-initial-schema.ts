import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lines (
        id text PRIMARY KEY,
        name text NOT NULL,
        diameter_target double precision,
        zone_count integer NOT NULL DEFAULT 5,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE telemetry (
        line_id text NOT NULL,
        time timestamptz NOT NULL,
        body_temperatures real[],
        diameter double precision,
        line_speed real,
        melt_pressure real,
        screw_speed real,
        msg_id text,
        backfill boolean NOT NULL DEFAULT false,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_telemetry PRIMARY KEY (line_id, time)
      )`);
    await q.query(`
      CREATE TABLE dead_letters (
        id bigserial PRIMARY KEY,
        received_at timestamptz NOT NULL DEFAULT now(),
        topic text NOT NULL,
        payload text NOT NULL,
        payload_size integer NOT NULL,
        reason text NOT NULL
      )`);
    await q.query(`CREATE INDEX idx_dead_letters_received_at ON dead_letters (received_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dead_letters`);
    await q.query(`DROP TABLE telemetry`);
    await q.query(`DROP TABLE lines`);
  }
}
