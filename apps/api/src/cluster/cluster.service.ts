import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ProductionData, ServerDataMap, StreamType } from '@lm/protocol';
import { connect, type MqttClient } from 'mqtt';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LinesService } from '../lines/lines.service';
import { RealtimeService } from '../realtime/realtime.service';
import {
  CONTROL_TOPICS,
  PRESENCE_TOPICS,
  STREAM_TOPICS,
  controlTopic,
  parseControl,
  PeerSequences,
  parsePeerBatch,
  parsePresence,
  presenceTopic,
  streamTopic,
  type PeerBatch,
  type PeerItem,
} from './peer-stream';
import type { LineOwnership } from './line-ownership';
import { ownerOf } from './rendezvous';

const PRESENCE_EVERY_MS = 5_000;
/** A presence not refreshed for this long is gone (its will may have been lost with a broker restart). */
const PRESENCE_EXPIRES_MS = 20_000;
const MAX_ITEMS_PER_BATCH = 500;
/** Batches published and not yet acknowledged by the broker; past this we drop (and peers resync). */
const MAX_UNACKED_BATCHES = 1_000;

export type PeerProductionDataHandler = (data: ProductionData, timestamp: string) => void;

/**
 * Several api instances on one broker (docs/adr/0005-scale-out.md). Without MQTT_SHARED_GROUP this is a
 * pass-through: `publish` goes to the local hub and this instance owns every line.
 *
 * With it: ingest is shared (`$share/...`), so each instance commits part of the telemetry. What an
 * instance commits it publishes to its own clients and, batched per event-loop turn, to the broker
 * (`line-monitor/stream/{instance}`); every other instance hands those messages to its hub, which
 * numbers them in its own stream (its own epoch and seq). A batch carries a counter: an instance that
 * misses one (or loses its broker connection) cannot say what it missed, so it restarts its stream and
 * its clients resynchronise (snapshot + history), rather than show a hole as if it were data.
 *
 * Alarm evaluation needs every reading of a line in one place: each line is owned by one instance,
 * chosen by rendezvous hashing over the live instances. Membership is a retained presence message per
 * process with an MQTT will and a heartbeat. During a membership change two instances may briefly both
 * own a line; the database (row locks, conditional updates, one open alarm per source) keeps that from
 * doubling an alarm or a transition.
 */
@Injectable()
export class ClusterService implements LineOwnership, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Cluster');
  readonly enabled: boolean;
  readonly instanceId: string;
  /** This process's life: presence, and the counter of the batches it sends. */
  private readonly boot = randomUUID();
  private client?: MqttClient;
  private connectedOnce = false;
  private pending: PeerItem[] = [];
  private flushScheduled = false;
  private batchNo = 0;
  private unacked = 0;
  private readonly sequences = new PeerSequences();
  /** `${id}/${boot}` -> presence time (ms, sender's clock). */
  private readonly presences = new Map<string, { id: string; at: number }>();
  /** Null until our own presence came back: the retained presences of the others arrived before it. */
  private members: string[] | null = null;
  /** line id -> whether this instance owns it under the current membership. */
  private owned = new Map<string, boolean>();
  private readonly ownershipListeners: ((gained: string[]) => void)[] = [];
  private peerProductionData: PeerProductionDataHandler | null = null;
  private readonly rulesListeners: (() => void)[] = [];
  private presenceTimer?: NodeJS.Timeout;
  private readonly stats = { batches_sent: 0, items_sent: 0, batches_received: 0, items_received: 0, dropped_items: 0, gaps: 0, bad_messages: 0, stream_restarts: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly realtime: RealtimeService,
    private readonly lines: LinesService,
  ) {
    this.enabled = config.cluster.sharedGroup !== null;
    this.instanceId = config.cluster.instanceId;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled || !this.config.mqtt.url) return;
    const will = { topic: presenceTopic(this.instanceId, this.boot), payload: Buffer.alloc(0), qos: 1 as const, retain: true };
    this.client = connect(this.config.mqtt.url, {
      // One connection per process life: a restarted instance never takes over (and fires the will of)
      // its previous connection.
      clientId: `${this.config.mqtt.clientId}-bus-${this.boot.slice(0, 8)}`,
      clean: true,
      username: this.config.mqtt.username,
      password: this.config.mqtt.password,
      keepalive: 10,
      reconnectPeriod: 1000,
      will,
    });
    this.client.on('connect', () => this.onConnect());
    this.client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    this.client.on('error', (err) => this.logger.warn(`Broker connection (peer stream): ${err.message}`));
    this.presenceTimer = setInterval(() => this.heartbeat(), PRESENCE_EVERY_MS);
    this.presenceTimer.unref();
  }

  /** Before the others shut down: our presence goes, so the lines we own move at once. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.presenceTimer);
    if (!this.client?.connected) return;
    this.flush();
    await this.client.publishAsync(presenceTopic(this.instanceId, this.boot), Buffer.alloc(0), { qos: 1, retain: true }).catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.client) return;
    this.flush();
    // Not forced: the batches in flight (the last commits of this instance) reach the broker first.
    await this.client.endAsync().catch(() => undefined);
  }

  // ---------- the stream ----------

  /** A committed stream message: to this instance's clients and to every other instance. */
  publish<T extends StreamType>(type: T, data: ServerDataMap[T], lineId: string | null, timestamp: string): void {
    this.realtime.publish(type, data, lineId, timestamp);
    if (!this.client) return;
    this.pending.push([type, lineId, timestamp, data]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Telemetry committed by another instance (the live picture and alarm evaluation need it too). */
  onPeerProductionData(handler: PeerProductionDataHandler): void {
    this.peerProductionData = handler;
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.pending.length > 0) {
      const items = this.pending.splice(0, MAX_ITEMS_PER_BATCH);
      const batch: PeerBatch = { v: 1, from: this.instanceId, boot: this.boot, n: ++this.batchNo, items };
      const client = this.client;
      if (!client?.connected || this.unacked >= MAX_UNACKED_BATCHES) {
        // The number is used up all the same: the others see the hole and resynchronise.
        this.stats.dropped_items += items.length;
        continue;
      }
      this.unacked++;
      this.stats.batches_sent++;
      this.stats.items_sent += items.length;
      client.publish(streamTopic(this.instanceId), JSON.stringify(batch), { qos: 1 }, () => this.unacked--);
    }
  }

  private onConnect(): void {
    const client = this.client!;
    if (this.connectedOnce) {
      // While we were away the others' batches went past us: our clients must resynchronise.
      this.restartStream('the broker connection of the peer stream was lost');
      this.sequences.reset();
    }
    this.connectedOnce = true;
    client.subscribe([STREAM_TOPICS, PRESENCE_TOPICS, CONTROL_TOPICS], { qos: 1 }, (err) => {
      if (err) {
        this.logger.error(`Peer stream subscription failed: ${err.message}`);
        return;
      }
      // After the subscription: the retained presences of the others come before our own comes back.
      this.heartbeat();
    });
  }

  private heartbeat(): void {
    const at = Date.now();
    this.client
      ?.publishAsync(presenceTopic(this.instanceId, this.boot), JSON.stringify({ id: this.instanceId, boot: this.boot, at }), { qos: 1, retain: true })
      .catch(() => undefined);
    let expired = false;
    for (const [key, p] of this.presences) {
      if (p.id !== this.instanceId && at - p.at > PRESENCE_EXPIRES_MS) {
        this.presences.delete(key);
        expired = true;
      }
    }
    if (expired) this.membershipChanged();
  }

  private onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (topic.startsWith('line-monitor/instances/')) return this.onPresence(topic, payload, retained);
    if (topic.startsWith('line-monitor/control/')) return this.onControl(payload);
    const batch = parsePeerBatch(payload);
    if (!batch) {
      this.stats.bad_messages++;
      return;
    }
    if (batch.from === this.instanceId) return;
    this.stats.batches_received++;
    if (this.sequences.accept(batch.from, batch.boot, batch.n) === 'gap') {
      this.stats.gaps++;
      this.restartStream(`stream messages from instance ${batch.from} were missed`);
    }
    for (const [type, lineId, timestamp, data] of batch.items) {
      this.stats.items_received++;
      if (type === 'production_data') this.peerProductionData?.(data as ProductionData, timestamp);
      // Each instance reads the retained line status itself; anything else goes to our hub as it is.
      else if (type !== 'line_status') this.realtime.publish(type, data as ServerDataMap[typeof type], lineId, timestamp);
    }
  }

  private onPresence(topic: string, payload: Buffer, retained: boolean): void {
    const [, , id, boot] = topic.split('/');
    const key = `${id}/${boot}`;
    const p = parsePresence(payload);
    if (!p) this.presences.delete(key);
    // A live message is fresh now; a retained one is as old as the time it carries.
    else this.presences.set(key, { id, at: retained ? p.at : Math.max(p.at, Date.now()) });
    if (this.members === null && id === this.instanceId && boot === this.boot && p) this.members = [];
    this.membershipChanged();
  }

  // ---------- announcements ----------

  announceRulesChanged(): void {
    this.client?.publishAsync(controlTopic(this.instanceId), JSON.stringify({ from: this.instanceId, kind: 'rules_changed' }), { qos: 1 }).catch(() => undefined);
  }

  onRulesChangedElsewhere(listener: () => void): void {
    this.rulesListeners.push(listener);
  }

  private onControl(payload: Buffer): void {
    const c = parseControl(payload);
    if (!c) {
      this.stats.bad_messages++;
      return;
    }
    if (c.from === this.instanceId) return;
    if (c.kind === 'rules_changed') for (const l of this.rulesListeners) l();
  }

  // ---------- ownership ----------

  /** Whether this instance evaluates the alarms of a line (always, when alone). */
  owns(lineId: string): boolean {
    if (!this.enabled) return true;
    if (this.members === null) return false;
    let mine = this.owned.get(lineId);
    if (mine === undefined) {
      // A line registered after the last membership change.
      mine = ownerOf(lineId, this.members) === this.instanceId;
      this.owned.set(lineId, mine);
    }
    return mine;
  }

  /** Lines this instance has just become the owner of (it reloads their alarm state from the database). */
  onOwnershipGained(listener: (gained: string[]) => void): void {
    this.ownershipListeners.push(listener);
  }

  private membershipChanged(): void {
    if (this.members === null) return;
    const now = Date.now();
    const ids = new Set<string>([this.instanceId]);
    for (const p of this.presences.values()) if (now - p.at <= PRESENCE_EXPIRES_MS) ids.add(p.id);
    const members = [...ids].sort();
    if (members.join() === this.members.join()) return;
    this.members = members;
    const owned = new Map(this.lines.list().map((l) => [l.id, ownerOf(l.id, members) === this.instanceId] as const));
    const gained = [...owned].filter(([id, mine]) => mine && this.owned.get(id) !== true).map(([id]) => id);
    this.owned = owned;
    this.logger.log(`Instances: ${members.join(', ')}; this one (${this.instanceId}) evaluates the alarms of lines ${this.ownedLines().join(', ') || 'none'}`);
    if (gained.length) for (const l of this.ownershipListeners) l(gained);
  }

  private ownedLines(): string[] {
    return [...this.owned].filter(([, mine]) => mine).map(([id]) => id);
  }

  private restartStream(reason: string): void {
    this.stats.stream_restarts++;
    this.logger.warn(`Restarting the live stream: ${reason}; clients resynchronise`);
    this.realtime.restartStream(reason);
  }

  health(): Record<string, unknown> {
    return {
      enabled: this.enabled,
      instance_id: this.instanceId,
      broker_connected: this.client?.connected ?? false,
      members: this.members ?? [],
      owned_lines: this.enabled ? this.ownedLines() : 'all',
      ...this.stats,
    };
  }
}
