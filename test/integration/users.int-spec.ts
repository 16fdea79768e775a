import { scrypt as scryptCb } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AuditRepository } from '../../apps/api/src/audit/audit.repository';
import { AuditService } from '../../apps/api/src/audit/audit.service';
import { needsRehash, verifyPassword } from '../../apps/api/src/auth/password';
import type { Principal } from '../../apps/api/src/auth/principal';
import { dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { UsersAndAudit1764100000000 } from '../../apps/api/src/database/migrations/1764100000000-users-and-audit';
import { UsersRepository } from '../../apps/api/src/users/users.repository';
import { UsersService } from '../../apps/api/src/users/users.service';
import { createTestDatabase } from '../support/database';

const admin: Principal = { username: 'admin', role: 'admin', anonymous: false, expiresAt: null };
const actor = { principal: admin, address: '10.1.2.3' };

describe(UsersService.name, () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let users: UsersService;
  let audit: AuditService;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize();
    audit = new AuditService(new AuditRepository(ds));
    users = new UsersService(new UsersRepository(ds), audit);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('keeps usernames unique and roles to the three known ones, in the database itself', async () => {
    await users.create(actor, { username: 'ann', password: 'ann-password', role: 'operator' });
    await expect(ds.query(`INSERT INTO users (username, role, password_hash) VALUES ('ann', 'operator', 'x')`)).rejects.toThrow(/uq_users_username/);
    await expect(ds.query(`INSERT INTO users (username, role, password_hash) VALUES ('bob', 'root', 'x')`)).rejects.toThrow(/ck_users_role/);
  });

  it('stores only a salted scrypt hash, never the password', async () => {
    const [row] = await ds.query<{ password_hash: string }[]>(`SELECT password_hash FROM users WHERE username = 'ann'`);
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain('ann-password');
    expect(await verifyPassword('ann-password', row.password_hash)).toBe(true);
  });

  it('seeds demo users once, without overwriting a changed one', async () => {
    const demo = [{ username: 'operator', password: 'operator-demo', role: 'operator' as const }];
    await users.seedDemoUsers(demo);
    await users.resetPassword(actor, 'operator', 'changed-by-admin');
    await users.seedDemoUsers(demo);
    const u = await users.findByUsername('operator');
    expect(await verifyPassword('changed-by-admin', u!.passwordHash)).toBe(true);
  });

  it('ADMIN_PASSWORD creates the admin, and on a later start restores its role, password and access', async () => {
    await users.ensureAdmin('first-admin-password');
    await ds.query(`UPDATE users SET role = 'operator', disabled = true WHERE username = 'admin'`);
    await users.ensureAdmin('second-admin-password');
    const u = await users.findByUsername('admin');
    expect(u).toMatchObject({ role: 'admin', disabled: false });
    expect(await verifyPassword('second-admin-password', u!.passwordHash)).toBe(true);
  });

  it('records admin actions in the audit log, newest first, with who, whom and from where', async () => {
    await users.changeRole(actor, 'ann', 'engineer');
    await users.setDisabled(actor, 'ann', true);
    const events = await audit.list({ limit: 3 });
    expect(events.map((e) => [e.event, e.actor, e.subject, e.address])).toEqual([
      ['user_disabled', 'admin', 'ann', '10.1.2.3'],
      ['role_changed', 'admin', 'ann', '10.1.2.3'],
      ['admin_bootstrapped', null, 'admin', null],
    ]);
    expect(events[1].details).toEqual({ from: 'operator', to: 'engineer' });
    const older = await audit.list({ limit: 100, beforeId: events[2].id, event: 'user_created' });
    expect(older.map((e) => e.subject)).toEqual(['ann']);
  });

  it('replaces a hash made with older scrypt parameters (what a login does when it sees one)', async () => {
    await users.create(actor, { username: 'old-hash', password: 'old-password', role: 'operator' });
    // scrypt N=1024 of 'old-password' (made with the same code, weaker parameters).
    const weak = await new Promise<string>((resolve, reject) =>
      scryptCb('old-password', Buffer.from('salt-salt-salt-1'), 32, { N: 1024, r: 8, p: 1 }, (err, key) =>
        err ? reject(err) : resolve(`scrypt$1024$8$1$${Buffer.from('salt-salt-salt-1').toString('base64')}$${key.toString('base64')}`),
      ),
    );
    await ds.query(`UPDATE users SET password_hash = $1 WHERE username = 'old-hash'`, [weak]);
    expect(needsRehash(weak)).toBe(true);
    expect(await verifyPassword('old-password', weak)).toBe(true);
    await users.rehash('old-hash', 'old-password');
    const u = await users.findByUsername('old-hash');
    expect(needsRehash(u!.passwordHash)).toBe(false);
    expect(await verifyPassword('old-password', u!.passwordHash)).toBe(true);
  });

  it('migrates down and up again', async () => {
    // This migration alone (later ones belong to other features and may depend on it).
    const m = new UsersAndAudit1764100000000();
    const qr = ds.createQueryRunner();
    const names = async (): Promise<string[]> => (await ds.query<{ tablename: string }[]>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).map((r) => r.tablename);
    try {
      await m.down(qr);
      expect(await names()).not.toEqual(expect.arrayContaining(['users']));
      expect(await names()).not.toEqual(expect.arrayContaining(['audit_log']));
      await m.up(qr);
      expect(await names()).toEqual(expect.arrayContaining(['users', 'audit_log']));
    } finally {
      await qr.release();
    }
  });
});
