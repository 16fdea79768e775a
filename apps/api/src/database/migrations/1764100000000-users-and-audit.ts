import type { MigrationInterface, QueryRunner } from 'typeorm';

export class UsersAndAudit1764100000000 implements MigrationInterface {
  name = 'UsersAndAudit1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id bigserial PRIMARY KEY,
        username text NOT NULL,
        role text NOT NULL,
        password_hash text NOT NULL,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_users_username UNIQUE (username),
        CONSTRAINT ck_users_role CHECK (role IN ('operator', 'engineer', 'admin'))
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        time timestamptz NOT NULL DEFAULT now(),
        event text NOT NULL,
        actor text,
        subject text,
        address text,
        success boolean NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await q.query(`CREATE INDEX idx_audit_log_time ON audit_log (time DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP TABLE users`);
  }
}
