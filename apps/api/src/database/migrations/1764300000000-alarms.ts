import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Alarm rules, alarms and their append-only audit trail (DESIGN.md section 7). */
export class Alarms1764300000000 implements MigrationInterface {
  name = 'Alarms1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alarm_rules (
        id bigserial PRIMARY KEY,
        line_id text NOT NULL REFERENCES lines (id) ON DELETE CASCADE,
        metric text NOT NULL,
        limit_kind text NOT NULL,
        "limit" double precision NOT NULL,
        severity text NOT NULL,
        deadband double precision NOT NULL DEFAULT 0,
        on_delay_s double precision NOT NULL DEFAULT 0,
        off_delay_s double precision NOT NULL DEFAULT 0,
        enabled boolean NOT NULL DEFAULT true,
        comment_required boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by text,
        CONSTRAINT uq_alarm_rules_source UNIQUE (line_id, metric, limit_kind),
        CONSTRAINT ck_alarm_rules_kind CHECK (limit_kind IN ('high_high', 'high', 'low', 'low_low', 'stale')),
        CONSTRAINT ck_alarm_rules_severity CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        CONSTRAINT ck_alarm_rules_delays CHECK (deadband >= 0 AND on_delay_s >= 0 AND off_delay_s >= 0)
      )`);
    // No foreign key to lines: alarms are a record that outlives a line's removal.
    await q.query(`
      CREATE TABLE alarms (
        id bigserial PRIMARY KEY,
        line_id text NOT NULL,
        metric text NOT NULL,
        limit_kind text NOT NULL,
        severity text NOT NULL,
        message text NOT NULL,
        state text NOT NULL,
        active boolean NOT NULL,
        value double precision NOT NULL,
        "limit" double precision NOT NULL,
        comment_required boolean NOT NULL DEFAULT false,
        raised_at timestamptz NOT NULL,
        acknowledged_by text,
        acknowledged_at timestamptz,
        comment text,
        shelved_until timestamptz,
        shelved_by text,
        shelve_reason text,
        cleared_at timestamptz,
        closed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_alarms_state CHECK (state IN ('normal', 'unacknowledged', 'acknowledged', 'rtn_unacknowledged', 'shelved', 'suppressed', 'out_of_service'))
      )`);
    // At most one open alarm per line, metric and limit: a second api instance cannot raise a twin.
    await q.query(`
      CREATE UNIQUE INDEX uq_alarms_open_source ON alarms (line_id, metric, limit_kind)
      WHERE state NOT IN ('normal', 'out_of_service')`);
    await q.query(`CREATE INDEX idx_alarms_raised ON alarms (raised_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_alarms_open ON alarms (state) WHERE state NOT IN ('normal', 'out_of_service')`);
    await q.query(`CREATE INDEX idx_alarms_shelved_until ON alarms (shelved_until) WHERE state = 'shelved'`);
    // Every transition, and every rule change (alarm_id null, details = before/after).
    await q.query(`
      CREATE TABLE alarm_events (
        id bigserial PRIMARY KEY,
        alarm_id bigint REFERENCES alarms (id) ON DELETE RESTRICT,
        line_id text NOT NULL,
        at timestamptz NOT NULL,
        action text NOT NULL,
        from_state text,
        to_state text,
        actor text NOT NULL,
        actor_role text,
        comment text,
        value double precision,
        details jsonb
      )`);
    await q.query(`CREATE INDEX idx_alarm_events_alarm ON alarm_events (alarm_id, id)`);
    await q.query(`CREATE INDEX idx_alarm_events_at ON alarm_events (at, action)`);
    // Append-only in the database itself: code with a bug, or a person with psql, cannot rewrite history.
    await q.query(`
      CREATE FUNCTION alarm_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'alarm_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER alarm_events_no_update_delete BEFORE UPDATE OR DELETE ON alarm_events
      FOR EACH ROW EXECUTE FUNCTION alarm_events_append_only()`);
    await q.query(`
      CREATE TRIGGER alarm_events_no_truncate BEFORE TRUNCATE ON alarm_events
      FOR EACH STATEMENT EXECUTE FUNCTION alarm_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alarm_events`);
    await q.query(`DROP FUNCTION alarm_events_append_only()`);
    await q.query(`DROP TABLE alarms`);
    await q.query(`DROP TABLE alarm_rules`);
  }
}
