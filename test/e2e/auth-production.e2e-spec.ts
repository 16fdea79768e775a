import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase } from '../support/database';
import { runNode } from '../support/processes';
import { waitFor } from '../support/waiting';

// The built api as a real process with NODE_ENV=production: bad security settings stop it before anything
// starts (exit code 2, a clear message); good ones start it without demo users or anonymous viewing.
const MAIN = 'dist/apps/api/apps/api/src/main.js';
const GOOD = {
  NODE_ENV: 'production',
  JWT_SECRET: 'prod-secret-0123456789-abcdefghijklmnopqrstuvwxyz',
  ADMIN_PASSWORD: 'a-long-admin-password',
  MQTT_DEVICE_USERNAME: 'plant-device',
  MQTT_DEVICE_PASSWORD: 'a-device-password',
  // Unset whatever the test runner's environment has.
  MQTT_URL: '',
  DATABASE_URL: '',
  ALLOW_ANONYMOUS_VIEW: '',
  MQTT_DEVICES_FILE: '',
};

describe('production start', () => {
  let dataDir: string;

  beforeAll(async () => {
    const b = spawnSync(process.execPath, ['scripts/build.mjs', 'api'], { stdio: 'inherit' });
    expect(b.status).toBe(0);
    dataDir = await mkdtemp(join(tmpdir(), 'lm-prod-'));
  }, 120_000);

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['without JWT_SECRET', { JWT_SECRET: '' }, 'JWT_SECRET is required in production'],
    ['with a short JWT_SECRET', { JWT_SECRET: 'only-twenty-chars-xx' }, 'JWT_SECRET is too short (20 characters, at least 32)'],
    ['with a default JWT_SECRET', { JWT_SECRET: 'CHANGE_ME' }, 'JWT_SECRET is a well-known default value'],
    ['without ADMIN_PASSWORD', { ADMIN_PASSWORD: '' }, 'ADMIN_PASSWORD is required in production'],
    ['with the embedded broker but no device credentials', { MQTT_DEVICE_USERNAME: '', MQTT_DEVICE_PASSWORD: '' }, 'the embedded MQTT broker needs device credentials in production'],
  ])('refuses to start %s: exit code 2 and says why', (_, patch, message) => {
    const r = spawnSync(process.execPath, [MAIN], { env: { ...process.env, ...GOOD, DATA_DIR: dataDir, PORT: '0', ...patch }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toContain(`Configuration error: ${message}`);
  });

  it('starts with good settings: admin from ADMIN_PASSWORD, no demo users, no anonymous viewers', async () => {
    const db = await createTestDatabase();
    const api = runNode([MAIN], { ...GOOD, DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', MQTT_PORT: '0' });
    try {
      const url = await waitFor(() => /HTTP and WebSocket on (http:\/\/[\d.:]+)/.exec(api.output())?.[1], `the api to listen:\n${api.output()}`, 30_000);
      const login = (username: string, password: string): Promise<Response> =>
        fetch(`${url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      // The admin user is only created after the app is listening (bootstrap hook): wait for it.
      const ok = await waitFor(async () => ((await login('admin', GOOD.ADMIN_PASSWORD)).status === 200 ? true : undefined), 'admin login');
      expect(ok).toBe(true);
      expect((await login('admin', 'admin-demo')).status).toBe(401);
      expect((await login('operator', 'operator-demo')).status).toBe(401);
      expect((await fetch(`${url}/api/lines`)).status).toBe(401);
      expect(await (await fetch(`${url}/api/auth/options`)).json()).toEqual({ anonymous_view: false, demo_users: [] });
    } finally {
      await api.stop();
      await db.drop();
    }
    expect(api.child.exitCode).toBe(0);
  }, 60_000);
});
