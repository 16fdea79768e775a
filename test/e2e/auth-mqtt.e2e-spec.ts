import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { topics } from '@lm/protocol';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startTestApi, type TestApi } from '../support/api';
import { TestWsClient } from '../support/ws-client';

// Device credentials and the topic ACL of the embedded broker, with a real mqtt.js client.
describe('embedded MQTT broker: device credentials and topic ACL', () => {
  let api: TestApi;
  let dir: string;
  let ws: TestWsClient;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lm-devices-'));
    const file = join(dir, 'devices');
    await writeFile(file, '# username:password:lines\nline3:line3-secret:3\nshared:shared-secret:*\n');
    api = await startTestApi({ JWT_SECRET: 'mqtt-e2e-secret-0123456789-abcdefghijkl', MQTT_DEVICES_FILE: file });
    ws = await TestWsClient.connect(api.wsUrl);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await ws?.close();
    await api?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function device(opts: IClientOptions): Promise<MqttClient> {
    const c = await mqtt.connectAsync(api.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    return c;
  }

  const lineData = (line: string, diameter: number) => (f: { type: string; data: unknown }) =>
    f.type === 'production_data' && (f.data as { production_line_id: string; diameter: number }).production_line_id === line && (f.data as { diameter: number }).diameter === diameter;

  it.each([
    ['no credentials', {}],
    ['a wrong password', { username: 'line3', password: 'guess' }],
    ['an unknown user', { username: 'mallory', password: 'line3-secret' }],
    ['the demo device (not configured here)', { username: 'device', password: 'device-demo' }],
  ])('refuses %s', async (_, creds) => {
    await expect(mqtt.connectAsync(api.mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...creds })).rejects.toThrow(/Bad username or password|Not authorized/);
  });

  it("refuses a device that takes the api's client id (session takeover)", async () => {
    await expect(mqtt.connectAsync(api.mqttUrl, { reconnectPeriod: 0, clientId: 'line-monitor-api', username: 'shared', password: 'shared-secret' })).rejects.toThrow(/Not authorized/);
  });

  it('lets a device publish under its own line only; the other line gets nothing', async () => {
    const d = await device({ username: 'line3', password: 'line3-secret', clientId: 'e2e-line3' });
    await d.publishAsync(topics.telemetry('3'), JSON.stringify({ diameter: 33.3 }), { qos: 0 });
    await ws.next(lineData('3', 33.3), 'line 3 data from its own device');

    // Not allowed: aedes drops it (and closes the offender). The shared device's marker after it
    // shows the pipeline moved on without it.
    await d.publishAsync(topics.telemetry('4'), JSON.stringify({ diameter: 44.4 }), { qos: 0 }).catch(() => undefined);
    const shared = await device({ username: 'shared', password: 'shared-secret', clientId: 'e2e-shared' });
    await shared.publishAsync(topics.telemetry('4'), JSON.stringify({ diameter: 44.5 }), { qos: 1 });
    await ws.next(lineData('4', 44.5), 'line 4 data from the shared device');
    expect(ws.frames.filter(lineData('4', 44.4))).toEqual([]);
  });

  it('grants a device subscriptions under its own line only', async () => {
    const d = await device({ username: 'line3', password: 'line3-secret', clientId: 'e2e-line3-sub' });
    // mqtt.js rejects a subscribe whose SUBACK says 0x80 (failure), so ask for one filter at a time.
    const outcome = async (filter: string): Promise<string> =>
      d.subscribeAsync(filter, { qos: 1 }).then(
        (g) => `granted qos ${g[0]?.qos}`,
        (err: unknown) => (String(err).includes('Subscribe error') ? 'refused' : `error ${String(err)}`),
      );
    const filters = ['plant/lines/3/commands', 'plant/lines/3/#', 'plant/lines/4/commands', 'plant/lines/+/telemetry', '#', '$share/x/plant/lines/+/telemetry', '$SYS/#'];
    const results: [string, string][] = [];
    for (const f of filters) results.push([f, await outcome(f)]);
    expect(results).toEqual([
      ['plant/lines/3/commands', 'granted qos 1'],
      ['plant/lines/3/#', 'granted qos 1'],
      ['plant/lines/4/commands', 'refused'],
      ['plant/lines/+/telemetry', 'refused'],
      ['#', 'refused'],
      ['$share/x/plant/lines/+/telemetry', 'refused'],
      ['$SYS/#', 'refused'],
    ]);
    expect(d.connected).toBe(true);
  });
});
