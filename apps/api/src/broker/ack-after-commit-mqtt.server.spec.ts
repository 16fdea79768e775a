import { describe, expect, it } from '@jest/globals';
import type { IPublishPacket } from 'mqtt';
import { AckAfterCommitMqttServer } from './ack-after-commit-mqtt.server';

// The acknowledgement rules, driven the way mqtt.js drives them: `emit('message')` (the handler's promise
// is tracked per packet), then `handleMessage(packet, done)`.
function setup(maxInFlight = 3, maxBytes = 1_000_000) {
  const server = new AckAfterCommitMqttServer({ url: 'mqtt://127.0.0.1:1' }, maxInFlight, maxBytes);
  const sent: unknown[] = [];
  const client = { connected: true, _sendPacket: (p: unknown) => sent.push(p) };
  const internals = server as unknown as {
    pending: Map<IPublishPacket, Promise<void>>;
    generation: number;
    afterEmit(c: unknown, p: IPublishPacket, done: (err?: Error) => void): void;
  };
  let id = 0;
  const deliver = (qos: 0 | 1 = 1, payload = Buffer.from('{}')) => {
    let commit!: () => void;
    let fail!: (e: Error) => void;
    const work = new Promise<void>((res, rej) => ((commit = res), (fail = rej)));
    const packet = { cmd: 'publish', topic: 'plant/lines/1/telemetry', payload, qos, messageId: ++id, dup: false, retain: false } as IPublishPacket;
    internals.pending.set(packet, work);
    const pump: { released: boolean; err?: Error } = { released: false };
    internals.afterEmit(client, packet, (err) => Object.assign(pump, { released: true, err }));
    return { packet, commit, fail, pump };
  };
  const settle = () => new Promise((r) => setImmediate(r));
  return { server, client, sent, internals, deliver, settle };
}

describe(AckAfterCommitMqttServer.name, () => {
  it('lets mqtt.js go on at once but sends PUBACK only after the handler committed', async () => {
    const { deliver, sent, settle, server } = setup();
    const m = deliver();
    expect(m.pump.released).toBe(true);
    expect(m.pump.err).toBeInstanceOf(Error); // mqtt.js then skips its own PUBACK
    await settle();
    expect(sent).toEqual([]);
    expect(server.ackStats().in_flight).toBe(1);
    m.commit();
    await settle();
    expect(sent).toEqual([{ cmd: 'puback', messageId: m.packet.messageId }]);
    expect(server.ackStats()).toMatchObject({ in_flight: 0, acked: 1 });
  });

  it('stops reading at the cap and resumes below three quarters of it', async () => {
    const { deliver, settle, server } = setup(4);
    const ms = [deliver(), deliver(), deliver(), deliver()];
    expect(ms.map((m) => m.pump.released)).toEqual([true, true, true, false]);
    expect(server.ackStats().paused).toBe(true);
    ms[0].commit();
    await settle();
    expect(ms[3].pump.released).toBe(true);
    expect(server.ackStats().paused).toBe(false);
  });

  it('caps payload bytes as well as messages', () => {
    const { deliver } = setup(1000, 100);
    expect(deliver(1, Buffer.alloc(60)).pump.released).toBe(true);
    expect(deliver(1, Buffer.alloc(60)).pump.released).toBe(false);
  });

  it('drops the ack of a message received on an earlier connection (the broker redelivers it)', async () => {
    const { deliver, sent, settle, internals, server } = setup();
    const m = deliver();
    internals.generation++; // reconnected
    m.commit();
    await settle();
    expect(sent).toEqual([]);
    expect(server.ackStats().stale_acks).toBe(1);
  });

  it('acknowledges a message whose handler failed, so that a poison message cannot stall ingest', async () => {
    const { deliver, sent, settle, server } = setup();
    const m = deliver();
    m.fail(new Error('bug'));
    await settle();
    expect(sent).toHaveLength(1);
    expect(server.ackStats().handler_errors).toBe(1);
  });

  it('leaves QoS 0 to mqtt.js', () => {
    const { deliver, server } = setup();
    const m = deliver(0);
    expect(m.pump).toEqual({ released: true, err: undefined });
    expect(server.ackStats().in_flight).toBe(0);
  });
});
