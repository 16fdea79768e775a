import type { MigrationInterface, QueryRunner } from 'typeorm';

const COLUMNS = `
  line_id text NOT NULL,
  time timestamptz NOT NULL,
  body_temperatures real[],
  diameter double precision,
  line_speed real,
  melt_pressure real,
  screw_speed real,
  msg_id text,
  backfill boolean NOT NULL DEFAULT false,
  received_at timestamptz NOT NULL DEFAULT now()`;

/**
 * Telemetry partitioned by time (DESIGN.md section 6): a TimescaleDB hypertable when the extension is
 * installed and preloaded, otherwise declarative range partitions of one UTC day each, created ahead of
 * time by TelemetryPartitionsService through `lm_telemetry_ensure_partition(day)`, with a default
 * partition as the safety net for rows outside every day partition.
 */
export class TelemetryPartitions1764200000000 implements MigrationInterface {
  name = 'TelemetryPartitions1764200000000';

  async up(q: QueryRunner): Promise<void> {
    const [ts] = (await q.query(`
      SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
         AND current_setting('shared_preload_libraries') LIKE '%timescaledb%' AS usable`)) as { usable: boolean }[];
    if (ts?.usable) {
      await q.query(`CREATE EXTENSION IF NOT EXISTS timescaledb`);
      await q.query(`SELECT create_hypertable('telemetry', 'time', chunk_time_interval => INTERVAL '1 day', migrate_data => true)`);
      return;
    }

    await q.query(`ALTER TABLE telemetry RENAME TO telemetry_plain`);
    await q.query(`ALTER TABLE telemetry_plain RENAME CONSTRAINT pk_telemetry TO pk_telemetry_plain`);
    // PRIMARY KEY (line_id, time) holds on a table partitioned by time: the key contains the partition key.
    // It covers the metrics (INCLUDE) so that a trend is an index-only scan of one line's range: the heap
    // interleaves all lines, and a 24 h trend of one line read from it costs a scan of the whole day
    // (docs/history-performance.md: 1.2 s against 0.35 s). One index, so ingest pays no second one.
    await q.query(`
      CREATE TABLE telemetry (${COLUMNS},
        CONSTRAINT pk_telemetry PRIMARY KEY (line_id, time) INCLUDE (diameter, line_speed, melt_pressure, screw_speed, body_temperatures)
      ) PARTITION BY RANGE (time)`);
    await q.query(`CREATE TABLE telemetry_default PARTITION OF telemetry DEFAULT`);
    await q.query(`
      CREATE FUNCTION lm_telemetry_ensure_partition(day date) RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        part text := 'telemetry_p' || to_char(day, 'YYYYMMDD');
        lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
        hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
      BEGIN
        -- Several api instances may run this at once.
        PERFORM pg_advisory_xact_lock(hashtext('lm_telemetry_partitions'));
        IF to_regclass(part) IS NOT NULL THEN RETURN false; END IF;
        EXECUTE format('CREATE TABLE %I (LIKE telemetry INCLUDING DEFAULTS)', part);
        -- Rows that fell into the default partition for this day move first: ATTACH refuses otherwise.
        EXECUTE format('WITH moved AS (DELETE FROM telemetry_default WHERE time >= $1 AND time < $2 RETURNING *)
                        INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
        EXECUTE format('ALTER TABLE telemetry ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
        RETURN true;
      END $$`);
    // A partition for every day that has data, and for yesterday to a few days ahead.
    await q.query(`
      SELECT lm_telemetry_ensure_partition(d::date)
      FROM generate_series(
        date_trunc('day', LEAST((SELECT min(time) FROM telemetry_plain), now() - INTERVAL '1 day') AT TIME ZONE 'UTC'),
        date_trunc('day', GREATEST((SELECT max(time) FROM telemetry_plain), now() + INTERVAL '3 days') AT TIME ZONE 'UTC'),
        INTERVAL '1 day') AS d`);
    await q.query(`INSERT INTO telemetry SELECT * FROM telemetry_plain`);
    await q.query(`DROP TABLE telemetry_plain`);
  }

  async down(q: QueryRunner): Promise<void> {
    const [kind] = (await q.query(`SELECT relkind FROM pg_class WHERE oid = 'telemetry'::regclass`)) as { relkind: string }[];
    if (kind?.relkind !== 'p') return; // a hypertable stays one: converting back is TimescaleDB's business
    await q.query(`ALTER TABLE telemetry RENAME TO telemetry_partitioned`);
    await q.query(`ALTER TABLE telemetry_partitioned RENAME CONSTRAINT pk_telemetry TO pk_telemetry_partitioned`);
    await q.query(`CREATE TABLE telemetry (${COLUMNS}, CONSTRAINT pk_telemetry PRIMARY KEY (line_id, time))`);
    await q.query(`INSERT INTO telemetry SELECT * FROM telemetry_partitioned`);
    await q.query(`DROP TABLE telemetry_partitioned`);
    await q.query(`DROP FUNCTION lm_telemetry_ensure_partition(date)`);
  }
}
