import { Logger } from '@nestjs/common';
import { type BaseRpcContext, MqttContext, type MqttOptions, type ReadPacket, ServerMqtt } from '@nestjs/microservices';
import type { MqttClient as MqttJsClient, IPublishPacket } from 'mqtt';
import { isObservable, lastValueFrom } from 'rxjs';
import { asksForRedelivery, isLeftForRedelivery } from './redelivery';

type PacketDone = (err?: Error) => void;
// mqtt.js's private packet writer (declared without a type): the one way to send a PUBACK ourselves.
type SendPacket = { _sendPacket(packet: { cmd: 'puback'; messageId: number }): void };
type NestMqttClient = Parameters<ServerMqtt['bindEvents']>[0];

export interface AckStats {
  /** Messages handed to a handler and not yet acknowledged to the broker. */
  in_flight: number;
  /** Their payload bytes (a backfill array is one message of many rows: the byte cap bounds rows too). */
  in_flight_bytes: number;
  /** True while the client has stopped reading from the broker because `in_flight` reached the cap. */
  paused: boolean;
  acked: number;
  /** Acknowledgements not sent because the connection they belonged to is gone (the broker redelivers). */
  stale_acks: number;
  /** Left unacknowledged on purpose (not written at shutdown): the broker delivers them again. */
  left_for_redelivery: number;
  handler_errors: number;
}

// Returned to mqtt.js instead of letting it send PUBACK itself: its QoS 1 path then skips the ack and
// goes on with the next packet (handlers/publish.js calls `done(err)`, which only moves the pump).
const DEFERRED = new Error('ack deferred until commit');
const noop = (): void => undefined;

/**
 * Nest's MQTT transport, except that a QoS 1 message is acknowledged to the broker only when its handler's
 * promise resolves, i.e. when the service has committed it (DESIGN.md section 5: at-least-once).
 *
 * mqtt.js handles incoming packets strictly one after another and sends PUBACK in the callback of
 * `client.handleMessage(packet, cb)`; holding that callback until commit would allow one message per
 * database round trip. Instead the callback is released at once (so many messages are in flight and the
 * service batches them) and the PUBACK is sent later by us. When `maxInFlight` messages (or
 * `maxInFlightBytes` of payload) are waiting, the callback is held: mqtt.js stops reading the socket, TCP pushes back, and the broker keeps the rest
 * (bounded memory during a database outage).
 *
 * Acks carry the connection generation they were received on: after a reconnect the broker redelivers
 * what was unacknowledged (persistent session), so an ack for the old connection is dropped rather than
 * sent for a packet id the broker may have reused.
 */
export class AckAfterCommitMqttServer extends ServerMqtt {
  // Nest resolves the handler per message by JSON.parse-ing the topic (which throws for a plain topic)
  // and matching every pattern: a measurable share of ingest CPU (bench/README.md). Topics are few
  // (one per line and kind), so the answer is cached; the cache is bounded against topic spam.
  private readonly handlerCache = new Map<string, ReturnType<ServerMqtt['getHandlerByPattern']>>();

  override getHandlerByPattern(pattern: string): ReturnType<ServerMqtt['getHandlerByPattern']> {
    let handler = this.handlerCache.get(pattern);
    if (handler === undefined) {
      handler = super.getHandlerByPattern(pattern);
      if (this.handlerCache.size >= 10_000) this.handlerCache.clear();
      this.handlerCache.set(pattern, handler);
    }
    return handler;
  }

  private readonly log = new Logger('MqttIngest');
  private readonly pending = new Map<IPublishPacket, Promise<unknown>>();
  private readonly held: PacketDone[] = [];
  private generation = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  private readonly counters = { acked: 0, stale_acks: 0, left_for_redelivery: 0, handler_errors: 0 };

  constructor(
    options: Required<MqttOptions>['options'],
    private readonly maxInFlight: number,
    private readonly maxInFlightBytes: number,
  ) {
    super(options);
  }

  ackStats(): AckStats {
    return { in_flight: this.inFlight, in_flight_bytes: this.inFlightBytes, paused: this.held.length > 0, ...this.counters };
  }

  override async createMqttClient(): Promise<NestMqttClient> {
    // Nest types its mqtt.js client as `any` (mqtt is an optional peer): name the real type once here.
    const client = (await super.createMqttClient()) as MqttJsClient;
    // mqtt.js calls its `debug` logger ~20 times per message even when disabled (a rest-args array each:
    // ~2 kB of garbage per message, bench/README.md). Left as is when DEBUG asks for logs.
    if (!process.env.DEBUG) client.log = noop;
    client.on('connect', () => this.generation++);
    client.handleMessage = (packet, done) => this.afterEmit(client, packet, done);
    return client;
  }

  /** Called by mqtt.js (synchronously, before `handleMessage`) with every incoming publish. */
  override getMessageHandler(pub: NestMqttClient): (channel: string, buffer: Buffer, packet?: Record<string, unknown>) => Promise<void> {
    return (channel, buffer, packet) => {
      const work: Promise<unknown> = this.handleMessage(channel, buffer, pub, packet);
      if (packet) this.pending.set(packet as unknown as IPublishPacket, work);
      return work.then(
        () => undefined,
        () => undefined,
      );
    };
  }

  /**
   * Nest's version, without its `await` of the deserializer and async wrapper (promises per message):
   * every device message is an event (DevicePayloadDeserializer), handed on synchronously.
   */
  override handleMessage(channel: string, buffer: Buffer, pub: NestMqttClient, originalPacket?: Record<string, unknown>): Promise<unknown> {
    try {
      const packet = this.deserializer.deserialize(this.parseMessage(buffer.toString()), { channel });
      if (isThenable(packet) || 'id' in packet) return super.handleMessage(channel, buffer, pub, originalPacket);
      return this.handleEvent(channel, packet, new MqttContext([channel, originalPacket as MqttJsPacket]));
    } catch (err) {
      // As from Nest's async version: a rejection for this message, never a throw into mqtt.js.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Awaits the handler itself (Nest's base resolves before an observable result completes). */
  override async handleEvent(pattern: string, packet: ReadPacket, context: BaseRpcContext): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) {
      this.log.error(`No handler for ${pattern}`);
      return;
    }
    const result: unknown = await handler(packet.data, context);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  private afterEmit(client: MqttJsClient, packet: IPublishPacket, done: PacketDone): void {
    const work = this.pending.get(packet);
    this.pending.delete(packet);
    // QoS 0 has nothing to acknowledge; a QoS 2 (not subscribed with) keeps mqtt.js's own flow.
    if (!work || packet.qos !== 1 || packet.messageId === undefined) return done();
    const generation = this.generation;
    const messageId = packet.messageId;
    const bytes = packet.payload?.length ?? 0;
    this.inFlight++;
    this.inFlightBytes += bytes;
    // One reaction per message (not a catch/then/catch chain: promises are a share of ingest garbage).
    const settle = (err?: unknown): void => {
      // Shutting down before the write: leave it unacknowledged, the broker delivers it again. The mark
      // on the packet, since Nest's exception handling may have replaced the error (broker/redelivery.ts).
      const redeliver = isLeftForRedelivery(packet) || asksForRedelivery(err);
      if (err !== undefined) {
        if (!redeliver) {
          // The service retries database failures itself; what reaches here is a bug for this one
          // message. Acknowledge it anyway: a poison message must not stop ingest.
          this.counters.handler_errors++;
          this.log.error(`Handler failed on ${packet.topic}: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
        }
      }
      this.inFlight--;
      this.inFlightBytes -= bytes;
      // Never throws out of here: nothing would catch it (the reaction's promise is not kept).
      try {
        if (redeliver) this.counters.left_for_redelivery++;
        else if (generation === this.generation && client.connected) {
          this.counters.acked++;
          (client as unknown as SendPacket)._sendPacket({ cmd: 'puback', messageId });
        } else this.counters.stale_acks++;
        this.release();
      } catch (e) {
        this.log.error(`Ack failed: ${String(e)}`);
      }
    };
    work.then(
      () => settle(),
      (err: unknown) => settle(err ?? new Error('handler rejected without a reason')),
    );
    if (this.inFlight >= this.maxInFlight || this.inFlightBytes >= this.maxInFlightBytes) this.held.push(() => done(DEFERRED));
    else done(DEFERRED);
  }

  private release(): void {
    // Resume reading with some room (low watermark), not one message at a time.
    if (this.held.length === 0 || this.inFlight > this.maxInFlight * 0.75 || this.inFlightBytes > this.maxInFlightBytes * 0.75) return;
    for (const resume of this.held.splice(0)) resume();
  }
}

type MqttJsPacket = ConstructorParameters<typeof MqttContext>[0][1];

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
