import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { freePort } from '../support/ports';
import { waitFor } from '../support/waiting';

// deploy/mosquitto/make-passwd.sh writes the password file and ACL docker compose mounts: check them on a
// real mosquitto (Debian's; `npm test` installs it for the broker tier).
const MOSQUITTO = '/usr/sbin/mosquitto';
const have = existsSync(MOSQUITTO) && spawnSync('mosquitto_passwd', ['-h']).error === undefined;

(have ? describe : describe.skip)('mosquitto password file and ACL from make-passwd.sh', () => {
  let dir: string;
  let broker: ChildProcess;
  let url: string;
  let out = '';
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lm-mosq-acl-'));
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'devices'), 'line3:line3-secret:3\nshared:shared-secret:*\n');
    const r = spawnSync('bash', ['deploy/mosquitto/make-passwd.sh', dir], {
      env: { ...process.env, MQTT_PASSWORD: 'api-secret', MQTT_HEALTHCHECK_PASSWORD: 'hc-secret', MQTT_DEVICES_FILE: join(dir, 'devices'), MQTT_DEVICE_USERNAME: '', MQTT_DEVICE_PASSWORD: '' },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const port = await freePort();
    await writeFile(
      join(dir, 'mosquitto.conf'),
      [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${dir}/passwd`, `acl_file ${dir}/acl`, ...(process.getuid?.() === 0 ? ['user root'] : []), 'log_dest stdout', ''].join('\n'),
    );
    broker = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    broker.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    broker.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    url = `mqtt://127.0.0.1:${port}`;
    await waitFor(() => mqtt.connectAsync(url, { username: 'healthcheck', password: 'hc-secret', reconnectPeriod: 0 }).then((c) => c.endAsync().then(() => true)), `mosquitto up (${out})`);
  }, 30_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    broker?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  const client = async (username: string, password: string): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, { username, password, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };

  it('refuses unknown users and wrong passwords', async () => {
    await expect(mqtt.connectAsync(url, { reconnectPeriod: 0 })).rejects.toThrow();
    await expect(mqtt.connectAsync(url, { username: 'line3', password: 'nope', reconnectPeriod: 0 })).rejects.toThrow();
  });

  it('delivers to the api what a device publishes under its own line, and nothing it publishes elsewhere', async () => {
    const api = await client('line-monitor-api', 'api-secret');
    const got: string[] = [];
    api.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await api.subscribeAsync('$share/line-monitor/plant/lines/+/telemetry', { qos: 1 });
    const line3 = await client('line3', 'line3-secret');
    const shared = await client('shared', 'shared-secret');
    await line3.publishAsync('plant/lines/4/telemetry', 'forbidden', { qos: 1 }); // mosquitto acks and drops it
    await line3.publishAsync('plant/lines/3/telemetry', 'own', { qos: 1 });
    await shared.publishAsync('plant/lines/7/telemetry', 'shared', { qos: 1 });
    await waitFor(() => got.length >= 2, 'two messages');
    expect(got.sort()).toEqual(['plant/lines/3/telemetry own', 'plant/lines/7/telemetry shared']);
  });

  it('lets a device read only its own line', async () => {
    const line3 = await client('line3', 'line3-secret');
    const got: string[] = [];
    line3.on('message', (topic) => got.push(topic));
    await line3.subscribeAsync('plant/lines/+/telemetry', { qos: 0 }).catch(() => undefined);
    await line3.subscribeAsync('plant/lines/3/commands', { qos: 0 });
    const api = await client('line-monitor-api', 'api-secret');
    await api.publishAsync('plant/lines/5/telemetry', 'x', { qos: 1 });
    await api.publishAsync('plant/lines/3/commands', 'mine', { qos: 1 });
    await waitFor(() => got.includes('plant/lines/3/commands'), 'its own command');
    expect(got).toEqual(['plant/lines/3/commands']);
  });
});
