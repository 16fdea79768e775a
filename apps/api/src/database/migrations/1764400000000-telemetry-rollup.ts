import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-minute rollup of telemetry for long trends (docs/history-performance.md, "Per-minute rollup"):
 * min, max, sum and count per line, metric and UTC minute, written by the api's RollupService (a periodic
 * job), never by ingest.
 *
 * - `telemetry_rollup_state.rolled_before`: every minute before it is rolled up (except the minutes
 *   listed in `telemetry_rollup_dirty`); readers take raw rows from there on.
 * - `telemetry_rollup_state.mark_before`: an insert of rows older than this writes their (line, minute)
 *   into `telemetry_rollup_dirty` in the same transaction (the trigger below), so late and backfilled
 *   rows are re-rolled and never hidden by a stale minute. Live ingest (rows newer than the mark) writes
 *   nothing but one shared advisory lock per statement: the job raises the mark under the exclusive one,
 *   so no insert can read the old mark and commit after the job's snapshot.
 */
export class TelemetryRollup1764400000000 implements MigrationInterface {
  name = 'TelemetryRollup1764400000000';

  async up(q: QueryRunner): Promise<void> {
    // INCLUDE: a trend reads one (line, metric) range as an index-only scan, like the telemetry key.
    await q.query(`
      CREATE TABLE telemetry_rollup (
        line_id text NOT NULL,
        metric text NOT NULL,
        minute timestamptz NOT NULL,
        min double precision NOT NULL,
        max double precision NOT NULL,
        sum double precision NOT NULL,
        count integer NOT NULL,
        CONSTRAINT pk_telemetry_rollup PRIMARY KEY (line_id, metric, minute) INCLUDE (min, max, sum, count)
      )`);
    await q.query(`
      CREATE TABLE telemetry_rollup_state (
        id boolean PRIMARY KEY DEFAULT true CONSTRAINT ck_telemetry_rollup_state_one CHECK (id),
        mark_before timestamptz,
        rolled_before timestamptz
      )`);
    await q.query(`INSERT INTO telemetry_rollup_state DEFAULT VALUES`);
    // No unique key on purpose: a marker is never shared between transactions, so the job can delete
    // exactly the markers its snapshot sees and a concurrent insert's marker survives for the next run.
    await q.query(`CREATE TABLE telemetry_rollup_dirty (line_id text NOT NULL, minute timestamptz NOT NULL)`);
    await q.query(`CREATE INDEX ix_telemetry_rollup_dirty ON telemetry_rollup_dirty (line_id, minute)`);

    const [kind] = (await q.query(`SELECT relkind FROM pg_class WHERE oid = 'telemetry'::regclass`)) as { relkind: string }[];
    const hypertable = kind?.relkind === 'r' && (await this.isHypertable(q));
    if (!hypertable) {
      // One statement-level trigger: it sees only the rows actually inserted (ON CONFLICT skips are not
      // in the transition table) and costs one pass over them per statement.
      await q.query(`
        CREATE FUNCTION lm_telemetry_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          mark timestamptz;
        BEGIN
          PERFORM pg_advisory_xact_lock_shared(hashtext('lm_telemetry_rollup_mark'));
          SELECT mark_before INTO mark FROM telemetry_rollup_state;
          IF mark IS NOT NULL THEN
            INSERT INTO telemetry_rollup_dirty (line_id, minute)
            SELECT DISTINCT line_id, date_bin('1 minute', time, TIMESTAMPTZ '1970-01-01Z') FROM lm_new_rows WHERE time < mark;
          END IF;
          RETURN NULL;
        END $$`);
      await q.query(`
        CREATE TRIGGER telemetry_rollup_mark AFTER INSERT ON telemetry
        REFERENCING NEW TABLE AS lm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION lm_telemetry_rollup_mark()`);
    } else {
      // TimescaleDB refuses transition tables on hypertables: one marker per late row instead.
      await q.query(`
        CREATE FUNCTION lm_telemetry_rollup_mark() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock_shared(hashtext('lm_telemetry_rollup_mark'));
          IF NEW.time < (SELECT mark_before FROM telemetry_rollup_state) THEN
            INSERT INTO telemetry_rollup_dirty (line_id, minute) VALUES (NEW.line_id, date_bin('1 minute', NEW.time, TIMESTAMPTZ '1970-01-01Z'));
          END IF;
          RETURN NULL;
        END $$`);
      await q.query(`CREATE TRIGGER telemetry_rollup_mark AFTER INSERT ON telemetry FOR EACH ROW EXECUTE FUNCTION lm_telemetry_rollup_mark()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS telemetry_rollup_mark ON telemetry`);
    await q.query(`DROP FUNCTION IF EXISTS lm_telemetry_rollup_mark()`);
    await q.query(`DROP TABLE telemetry_rollup_dirty`);
    await q.query(`DROP TABLE telemetry_rollup_state`);
    await q.query(`DROP TABLE telemetry_rollup`);
  }

  private async isHypertable(q: QueryRunner): Promise<boolean> {
    const [ts] = (await q.query(`SELECT to_regclass('timescaledb_information.hypertables') IS NOT NULL AS has`)) as { has: boolean }[];
    if (!ts?.has) return false;
    const rows = (await q.query(`SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'telemetry'`)) as unknown[];
    return rows.length > 0;
  }
}
