import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '@lm/protocol';

export const LINES = ['1', '2', '3', '4'];

/** Message `i` of a numbered sequence: its own line and timestamp, so that every number is one row. */
export function numbered(i: number, base: number): { topic: string; payload: string } {
  const line = LINES[i % LINES.length];
  return {
    topic: topics.telemetry(line),
    payload: JSON.stringify({ timestamp: base + i, diameter: 20 + (i % 100) / 100, line_speed: 12, msg_id: String(i) }),
  };
}

export async function connectPublisher(url: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId: `lm-test-pub-${process.pid}-${Date.now()}`, clean: true, reconnectPeriod: 200 });
}

/**
 * Publishes messages `from`..`to-1` with QoS 1 at about `perTick` every 5 ms; resolves when the broker
 * has acknowledged all of them (they are then the broker's to keep).
 */
export async function publishSequence(client: MqttClient, from: number, to: number, base: number, perTick = 20): Promise<void> {
  const acks: Promise<unknown>[] = [];
  for (let i = from; i < to; i++) {
    const m = numbered(i, base);
    acks.push(client.publishAsync(m.topic, m.payload, { qos: 1 }));
    if ((i - from) % perTick === perTick - 1) await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(acks);
}
