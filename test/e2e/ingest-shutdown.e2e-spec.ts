import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { topics } from '@lm/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { TelemetryService } from '../../apps/api/src/telemetry/telemetry.service';
import { startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/waiting';

// DESIGN.md 5, at shutdown: a message that arrives after the writes were flushed is neither written
// nor acknowledged, so the broker delivers it again to the next start. Through the real Nest transport:
// its RPC exception handling must not turn the refusal into an acknowledged (lost) message.
describe('a message arriving while the api shuts down', () => {
  let api: TestApi;
  let device: MqttClient;

  beforeAll(async () => {
    api = await startTestApi();
    device = await mqtt.connectAsync(api.mqttUrl, { clientId: 'e2e-shutdown-device', username: 'device', password: 'device-demo' });
  });

  afterAll(async () => {
    await device?.endAsync();
    await api?.stop();
  });

  it('is left unacknowledged for the broker to deliver again, not acknowledged and lost', async () => {
    const telemetry = api.app.get(TelemetryService);
    const before = telemetry.ingestStats();
    // The first step of shutdown: what is queued is written, the writer takes nothing more.
    await telemetry.beforeApplicationShutdown();
    // Not awaited: the broker acknowledges to the device whatever the api does.
    void device.publishAsync(topics.telemetry('1'), JSON.stringify({ diameter: 20.1 }), { qos: 1 });
    const after = await waitFor(() => {
      const s = telemetry.ingestStats();
      return s.received > before.received && s.in_flight === 0 ? s : undefined;
    }, 'the message handled', 10_000);
    expect(after.left_for_redelivery - before.left_for_redelivery).toBe(1);
    expect(after.acked).toBe(before.acked);
    expect(after.stored).toBe(before.stored);
  });
});
