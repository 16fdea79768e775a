import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  CHANNELS,
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  channelOf,
  type Channel,
  type ClientDataMap,
  type ClientMessage,
  type ErrorCode as ErrorCodeT,
  type ServerDataMap,
  type ServerType,
  type StreamType,
  type UserInfo,
} from '@lm/protocol';
import { canRunCommand } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LinesService } from '../lines/lines.service';
import { Connection, type Outgoing, type Sink } from './connection';
import { RealtimeCommandError, RealtimeCommands, type PluggableCommand } from './realtime-commands';
import { ReplayRing, StreamEntry } from './stream-entry';
import { StreamStateRepository } from './stream-state.repository';
import { fromSaved, toSaved, type StreamStateStore } from './stream-state';

/** How long a shutdown waits for the stream state to be saved (a hung database must not hang it). */
const SAVE_TIMEOUT_MS = 5000;

export interface FrameError {
  code: ErrorCodeT;
  message: string;
  original_message?: string;
  request_id?: string;
}

export type Admission = { ok: true } | { ok: false; code: number; reason: string };

/**
 * The live stream hub for WebSocket and SSE clients: connections, subscriptions, seq/epoch and the
 * replay ring, commands, fan-out (one serialisation per message, writes corked per event-loop turn),
 * slow-consumer handling and the counters of /health/websocket.
 */
@Injectable()
export class RealtimeService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(RealtimeService.name);
  private readonly connections = new Set<Connection>();
  private readonly perUser = new Map<string, number>();
  /**
   * Changes whenever this server's stream restarts, so a client can tell its seq is from another stream.
   * A graceful restart continues the saved one (onModuleInit); a crash or restartStream() starts a new one.
   */
  private _epoch: string = randomUUID();
  private seq = 0;
  /** Seq at which restartStream() began this epoch: an SSE Last-Event-ID (no epoch) up to it is the old stream's. */
  private epochFloor = 0;
  /** Whether this epoch continues the one a graceful shutdown saved. */
  private continued = false;
  /** Set once the state is saved at shutdown: anything published later would be missing from the saved stream. */
  private saved = false;
  private warnedLatePublish = false;
  private readonly ring: ReplayRing;
  private pingTimer?: NodeJS.Timeout;
  private readonly dirty = new Set<Connection>();
  private flushScheduled = false;
  private readonly lagging = new Set<Connection>();
  private lagTimer?: NodeJS.Timeout;
  private shuttingDown = false;
  private readonly stats = {
    total_connections: 0,
    messages_sent: 0,
    messages_received: 0,
    errors: 0,
    rate_limited: 0,
    refused_connections: 0,
    slow_consumer_closes: 0,
    coalesced: 0,
    stream_restarts: 0,
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lines: LinesService,
    private readonly commands: RealtimeCommands,
    @Inject(StreamStateRepository) private readonly streamState: StreamStateStore,
  ) {
    this.ring = new ReplayRing(config.realtime.replayBufferSize);
  }

  get epoch(): string {
    return this._epoch;
  }

  async onModuleInit(): Promise<void> {
    // Before the HTTP server listens and the broker delivers what it kept meanwhile: those get seq + 1.
    await this.restoreStream();
    // ws README: ping on an interval, terminate a connection that missed two pongs.
    this.pingTimer = setInterval(() => this.checkLiveness(), this.config.realtime.pingIntervalMs);
    this.pingTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.lagTimer);
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    for (const conn of [...this.connections]) this.close(conn, CloseCode.GOING_AWAY, 'server shutdown');
  }

  /**
   * Nest calls this after the transports are closed (no more ingest, so nothing more to publish) and
   * before TypeORM's own hook (global modules go last) closes the database: the stream is final here.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.saveStream();
  }

  // ---------- stream continuity across a graceful restart ----------

  /** Continues the stream a graceful shutdown of this instance saved, if any; the saved state is used up. */
  async restoreStream(): Promise<void> {
    const instanceId = this.config.cluster.instanceId;
    let saved;
    try {
      saved = await this.streamState.take(instanceId);
    } catch (err) {
      this.logger.error(`Could not read the saved stream state: starting epoch ${this._epoch}`, err instanceof Error ? err.stack : String(err));
      return;
    }
    if (!saved) {
      this.logger.log(`No saved stream state (first start or not a graceful stop): new epoch ${this._epoch}`);
      return;
    }
    const why = this.cannotContinue();
    if (why) {
      this.logger.log(`Not continuing the saved stream (${why}): new epoch ${this._epoch}`);
      return;
    }
    const state = fromSaved(saved);
    if (typeof state === 'string') {
      this.logger.warn(`Saved stream state unusable (${state}): new epoch ${this._epoch}`);
      return;
    }
    this._epoch = state.epoch;
    this.seq = state.seq;
    this.epochFloor = 0;
    this.ring.clear();
    for (const e of state.entries) this.ring.push(e);
    this.continued = true;
    this.logger.log(`Continuing stream epoch ${state.epoch} at seq ${state.seq + 1} (${state.entries.length} messages to replay)`);
  }

  /**
   * Why a restart cannot continue this stream, or null. Continuing is honest only if what arrives
   * meanwhile comes through the stream after the start. Not with the embedded broker: it stops with
   * the api, so devices backfill (stored, never streamed). Not as one of several instances: what the
   * others publish meanwhile goes past this one (cluster/).
   */
  private cannotContinue(): string | null {
    if (!this.config.mqtt.url) return 'the embedded broker stopped with the api';
    if (this.config.cluster.sharedGroup) return 'other instances published meanwhile';
    return null;
  }

  /** Saves epoch, seq and the replay ring for the next start of this instance (graceful shutdown only). */
  async saveStream(): Promise<void> {
    // Nothing to save for a start that could not continue it (the stale row is taken at that start).
    if (this.saved || this.cannotContinue()) return;
    this.saved = true;
    const state = toSaved({ epoch: this._epoch, seq: this.seq, entries: this.ring.entries() });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${SAVE_TIMEOUT_MS} ms`)), SAVE_TIMEOUT_MS)));
    try {
      await Promise.race([this.streamState.save(this.config.cluster.instanceId, state), timeout]);
      this.logger.log(`Saved stream epoch ${state.epoch} at seq ${state.seq} (${state.ring.length} messages) for the next start`);
    } catch (err) {
      // The next start then begins a new epoch: clients resume with recovered: false and reload.
      this.logger.error('Could not save the stream state', err instanceof Error ? err.stack : String(err));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts a new epoch: the ring is emptied and every connection is closed with 1012, so clients reconnect,
   * resume with recovered: false and reload a snapshot. For when this instance knows its stream has a
   * hole (e.g. it missed messages from a peer).
   */
  restartStream(reason: string): void {
    const previous = this._epoch;
    this._epoch = randomUUID();
    // seq keeps counting: an epoch-less SSE resume up to here is then recognisably the old stream's.
    this.epochFloor = this.seq;
    this.continued = false;
    this.ring.clear();
    this.stats.stream_restarts++;
    const conns = [...this.connections];
    this.logger.warn(`Stream restarted (${reason}): epoch ${previous} -> ${this._epoch} at seq ${this.seq}; closing ${conns.length} connections`);
    for (const conn of conns) this.close(conn, CloseCode.SERVICE_RESTART, 'stream restarted: reconnect');
    if (this.saved) {
      // Shutting down and already saved: the saved stream is the abandoned one, so the next start must not continue it.
      this.streamState.take(this.config.cluster.instanceId).catch((err: unknown) => this.logger.error('Could not invalidate the saved stream state', String(err)));
    }
  }

  // ---------- connections ----------

  /** Whether one more connection for this principal is allowed (4429 with a retry hint if not). */
  admit(principal: Principal): Admission {
    if (this.shuttingDown) return { ok: false, code: CloseCode.GOING_AWAY, reason: 'server shutdown' };
    if (this.connections.size >= this.config.realtime.maxConnections) {
      this.stats.refused_connections++;
      return { ok: false, code: CloseCode.TOO_MANY_CONNECTIONS, reason: 'too many connections; retry after 10 s' };
    }
    // Anonymous viewers share one name, so the per-user limit only applies to real users.
    if (!principal.anonymous && (this.perUser.get(principal.username) ?? 0) >= this.config.realtime.maxConnectionsPerUser) {
      this.stats.refused_connections++;
      return { ok: false, code: CloseCode.TOO_MANY_CONNECTIONS, reason: 'too many connections for this user; retry after 30 s' };
    }
    return { ok: true };
  }

  /** Registers a connection (call `admit` first) and sends it `connected`. */
  attach(sink: Sink, principal: Principal): Connection {
    const conn = new Connection(sink, principal, this.seq, this.config.realtime.rateLimitPerSec);
    this.connections.add(conn);
    this.stats.total_connections++;
    if (!principal.anonymous) this.perUser.set(principal.username, (this.perUser.get(principal.username) ?? 0) + 1);
    if (principal.expiresAt !== null) {
      // setTimeout takes at most 2^31-1 ms; longer tokens are re-checked when it fires.
      const arm = (): void => {
        const left = principal.expiresAt! - Date.now();
        if (left <= 0) this.close(conn, CloseCode.UNAUTHENTICATED, 'token expired');
        else conn.expiryTimer = setTimeout(arm, Math.min(left, 2_147_483_647));
      };
      arm();
    }
    this.send(conn, 'connected', {
      client_id: conn.id,
      protocol_version: PROTOCOL_VERSION,
      server_time: new Date().toISOString(),
      heartbeat_interval_ms: this.config.realtime.heartbeatIntervalMs,
      epoch: this._epoch,
      seq: conn.startSeq,
      user: userOf(principal),
    });
    return conn;
  }

  /** Forgets a connection whose transport closed. */
  detach(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    conn.closed = true;
    clearTimeout(conn.expiryTimer);
    clearTimeout(conn.batchTimer);
    conn.queue = [];
    conn.coalesce = null;
    this.dirty.delete(conn);
    this.lagging.delete(conn);
    if (!conn.principal.anonymous) {
      const n = (this.perUser.get(conn.principal.username) ?? 1) - 1;
      if (n <= 0) this.perUser.delete(conn.principal.username);
      else this.perUser.set(conn.principal.username, n);
    }
  }

  close(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    // What was answered before the close (e.g. the last rate_limited errors) still goes out first.
    if (!conn.lagging && conn.queued > 0) conn.sink.write(conn.queue, conn.batchMs > 0);
    this.detach(conn);
    conn.sink.close(code, reason);
  }

  pong(conn: Connection): void {
    conn.missedPongs = 0;
  }

  // ---------- client frames ----------

  /** Counts an inbound frame against the rate limit; false when it must not be served. */
  received(conn: Connection, requestId?: string): boolean {
    conn.received++;
    this.stats.messages_received++;
    const verdict = conn.admit(Date.now());
    if (verdict === 'ok') return true;
    this.stats.errors++;
    this.stats.rate_limited++;
    if (verdict === 'flooding') {
      this.logger.warn(`Closing connection ${conn.id}: flooding`);
      this.close(conn, CloseCode.POLICY, 'flooding: too many messages');
    } else {
      this.reply(conn, 'error', { code: ErrorCode.RATE_LIMITED, message: 'Too many messages: slow down' }, requestId);
    }
    return false;
  }

  /** Answers a frame that failed parsing; the connection stays open. */
  rejectFrame(conn: Connection, error: FrameError): void {
    this.stats.errors++;
    this.reply(conn, 'error', error);
  }

  /** Counts a protocol error the transport handled itself (e.g. an oversized frame closed with 1009). */
  countError(): void {
    this.stats.errors++;
  }

  /** Serves one valid client message; every command is answered, echoing its request_id. */
  async handle(conn: Connection, message: ClientMessage): Promise<void> {
    const requestId = message.data.request_id;
    if (!canRunCommand(conn.principal.role, conn.principal.anonymous, message.type)) {
      this.rejectFrame(conn, { code: ErrorCode.FORBIDDEN, message: `Your role may not send "${message.type}"`, request_id: requestId });
      return;
    }
    try {
      switch (message.type) {
        case 'heartbeat':
          return this.reply(conn, 'heartbeat', { server_time: new Date().toISOString(), client_id: message.data.client_id ?? conn.id }, requestId);
        case 'subscribe':
          return this.subscribe(conn, message.data);
        case 'unsubscribe':
          return this.unsubscribe(conn, message.data);
        case 'resume':
          return this.resume(conn, message.data);
        case 'request_latest':
          return await this.requestLatest(conn, message.data);
        case 'request_status':
          return this.reply(conn, 'status', this.statusOf(conn), requestId);
        case 'alarm_ack':
        case 'alarm_shelve':
        case 'alarm_unshelve':
          return await this.pluggable(conn, message.type, message.data);
      }
    } catch (err) {
      if (err instanceof RealtimeCommandError) {
        this.rejectFrame(conn, { code: err.code, message: err.message, request_id: requestId });
      } else {
        this.logger.error(`Command ${message.type} failed`, err instanceof Error ? err.stack : String(err));
        this.rejectFrame(conn, { code: ErrorCode.INTERNAL, message: 'Internal server error', request_id: requestId });
      }
    }
  }

  private subscribe(conn: Connection, data: ClientDataMap['subscribe']): void {
    conn.lines = data.lines.includes('*') ? null : new Set(data.lines);
    if (data.channels) conn.channels = new Set(data.channels);
    if (data.batch_ms !== undefined) {
      conn.batchMs = data.batch_ms;
      if (conn.batchMs === 0) clearTimeout(conn.batchTimer);
    }
    this.dropUnwanted(conn);
    this.reply(conn, 'subscribed', subscriptionOf(conn), data.request_id);
  }

  private unsubscribe(conn: Connection, data: ClientDataMap['unsubscribe']): void {
    if (data.lines.includes('*')) conn.lines = new Set();
    else if (conn.lines) for (const l of data.lines) conn.lines.delete(l);
    else conn.lines = new Set(this.lines.list().map((l) => l.id).filter((id) => !data.lines.includes(id)));
    this.dropUnwanted(conn);
    this.reply(conn, 'subscribed', subscriptionOf(conn), data.request_id);
  }

  /**
   * Replays what the connection missed: every kept message in (last_seq, seq at connect] that its
   * subscription covers, in order, then `resumed`. Messages after the connect were sent to it live;
   * the client holds those until `resumed` so it sees one ordered sequence.
   */
  private resume(conn: Connection, data: ClientDataMap['resume']): void {
    this.resumeFrom(conn, data.epoch, data.last_seq, data.request_id);
  }

  /** `epoch` null (SSE Last-Event-ID carries only the seq): taken as this stream's when the seq fits. */
  resumeFrom(conn: Connection, epoch: string | null, lastSeq: number, requestId?: string): void {
    const entries = this.replay(epoch, lastSeq, conn.startSeq);
    if (entries) for (const e of entries) if (conn.wants(e)) this.enqueue(conn, e);
    this.reply(conn, 'resumed', { recovered: entries !== null, epoch: this._epoch, seq: conn.startSeq }, requestId);
  }

  /** Kept entries in (lastSeq, upTo], or null when that cannot be recovered (other epoch, too old). */
  private replay(epoch: string | null, lastSeq: number, upTo: number): StreamEntry[] | null {
    if (epoch !== null && epoch !== this._epoch) return null;
    // Without an epoch, a seq at or before a restartStream() belongs to the stream that was abandoned.
    if (epoch === null && this.epochFloor > 0 && lastSeq <= this.epochFloor) return null;
    // A seq this stream never reached: the client's stream is not this one (e.g. a stale saved state).
    if (lastSeq > this.seq) return null;
    return this.ring.since(lastSeq, upTo);
  }

  /** SSE subscriptions come from the query string (the stream is one-way). */
  setSubscription(conn: Connection, lines: string[] | null, channels: Channel[] | null): void {
    conn.lines = lines === null || lines.includes('*') ? null : new Set(lines);
    if (channels) conn.channels = new Set(channels);
  }

  private async requestLatest(conn: Connection, data: ClientDataMap['request_latest']): Promise<void> {
    const seq = this.seq;
    const lines = Object.fromEntries(this.lines.latestReadings(data.lines).map((r) => [r.production_line_id, r]));
    const status = Object.fromEntries(this.lines.statuses().map((s) => [s.production_line_id, s]));
    const wanted = data.lines ? new Set(data.lines) : null;
    const alarms = (await this.commands.listActiveAlarms()).filter((a) => !wanted || wanted.has(a.production_line_id));
    this.reply(conn, 'snapshot', { lines, line_status: status, active_alarms: alarms, epoch: this._epoch, seq }, data.request_id);
  }

  private async pluggable<K extends PluggableCommand>(conn: Connection, type: K, data: ClientDataMap[K]): Promise<void> {
    const handler = this.commands.handler(type);
    if (!handler) {
      this.rejectFrame(conn, { code: ErrorCode.UNAVAILABLE, message: `"${type}" is not available on this server yet`, request_id: data.request_id });
      return;
    }
    const result = await handler(data, { principal: conn.principal, clientId: conn.id });
    this.reply(conn, 'result', { command: type, ok: true, result }, data.request_id);
  }

  // ---------- the stream ----------

  /**
   * Sends one stream message to every connection subscribed to it and keeps it for replay; serialised
   * once for all. `lineId` null: not about one line (notifications).
   */
  publish<T extends StreamType>(type: T, data: ServerDataMap[T], lineId: string | null, timestamp: string): void {
    if (this.saved && !this.warnedLatePublish) {
      this.warnedLatePublish = true;
      this.logger.warn(`"${type}" published after the stream state was saved: it will be missing on resume`);
    }
    const seq = ++this.seq;
    const entry = new StreamEntry(seq, type, channelOf(type), lineId, JSON.stringify({ type, timestamp, seq, data }));
    this.ring.push(entry);
    for (const conn of this.connections) if (conn.wants(entry)) this.enqueue(conn, entry);
  }

  health(): Record<string, unknown> {
    const subscribers = Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
    let sse = 0;
    let lagging = 0;
    let queued = 0;
    let buffered = 0;
    for (const conn of this.connections) {
      for (const c of conn.channels) subscribers[c]++;
      if (conn.sink.transport === 'sse') sse++;
      if (conn.lagging) lagging++;
      queued += conn.queued;
      buffered += conn.sink.buffered();
    }
    return {
      ...this.stats,
      active_connections: this.connections.size,
      sse_connections: sse,
      lagging_connections: lagging,
      // Memory held for clients: messages waiting in our queues, bytes waiting in socket buffers.
      queued_messages: queued,
      buffered_bytes: buffered,
      subscribers,
      epoch: this._epoch,
      seq: this.seq,
      // true: this epoch was continued from a graceful restart's saved state.
      stream_continued: this.continued,
      replay_oldest_seq: this.ring.oldestSeq(),
    };
  }

  // ---------- outgoing queue ----------

  private reply<T extends ServerType>(conn: Connection, type: T, data: ServerDataMap[T], requestId?: string): void {
    const payload = requestId === undefined ? data : { ...data, request_id: requestId };
    this.send(conn, type, payload);
  }

  private send<T extends ServerType>(conn: Connection, type: T, data: ServerDataMap[T]): void {
    this.enqueue(conn, JSON.stringify({ type, timestamp: new Date().toISOString(), data }));
  }

  private enqueue(conn: Connection, item: Outgoing): void {
    if (conn.closed) return;
    if (conn.lagging && typeof item !== 'string' && item.type === 'production_data' && item.lineId !== null) {
      // Latest wins: the older value of the line is dropped from the queue, the new one goes last (seq order kept).
      const map = (conn.coalesce ??= new Map<string, number>());
      const prev = map.get(item.lineId);
      if (prev !== undefined) {
        conn.queue[prev] = null;
        conn.queued--;
        this.stats.coalesced++;
      }
      map.set(item.lineId, conn.queue.length);
    }
    conn.queue.push(item);
    conn.queued++;
    if (conn.queued > this.config.realtime.slowConsumerMaxQueued) {
      this.closeSlow(conn, 'too many queued messages');
      return;
    }
    if (conn.lagging) return; // the lag timer writes when it has caught up
    if (typeof item !== 'string' && conn.batchMs > 0) {
      conn.batchTimer ??= setTimeout(() => {
        conn.batchTimer = undefined;
        this.flush(conn);
      }, conn.batchMs);
      return;
    }
    this.dirty.add(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // Everything queued in this event-loop turn goes out in one corked write per connection.
      setImmediate(this.flushDirty);
    }
  }

  private readonly flushDirty = (): void => {
    this.flushScheduled = false;
    for (const conn of this.dirty) this.flush(conn);
    this.dirty.clear();
  };

  private flush(conn: Connection): void {
    if (conn.closed || conn.queued === 0) return;
    const buffered = conn.sink.buffered();
    if (buffered > this.config.realtime.slowConsumerCloseBytes) {
      this.closeSlow(conn, 'too far behind');
      return;
    }
    if (buffered > this.config.realtime.slowConsumerBytes) {
      if (!conn.lagging) this.startLagging(conn);
      // Coalescing keeps its queue small, but a client that never catches up is not a client.
      else if (Date.now() - conn.laggingSince > this.config.realtime.slowConsumerMaxLagMs) this.closeSlow(conn, 'behind for too long');
      return;
    }
    if (conn.lagging) {
      conn.lagging = false;
      conn.coalesce = null;
      this.lagging.delete(conn);
    }
    const items = conn.queue;
    conn.queue = [];
    conn.queued = 0;
    clearTimeout(conn.batchTimer);
    conn.batchTimer = undefined;
    const n = conn.sink.write(items, conn.batchMs > 0);
    conn.sent += n;
    this.stats.messages_sent += n;
  }

  private startLagging(conn: Connection): void {
    conn.lagging = true;
    conn.laggingSince = Date.now();
    // Coalesce what is already queued, then keep coalescing until the client catches up.
    const map = new Map<string, number>();
    const kept: (Outgoing | null)[] = [];
    for (const item of conn.queue) {
      if (item === null) continue;
      if (typeof item !== 'string' && item.type === 'production_data' && item.lineId !== null) {
        const prev = map.get(item.lineId);
        if (prev !== undefined) {
          kept[prev] = null;
          this.stats.coalesced++;
        }
        map.set(item.lineId, kept.length);
      }
      kept.push(item);
    }
    conn.queue = kept;
    conn.queued = kept.reduce((n, i) => (i === null ? n : n + 1), 0);
    conn.coalesce = map;
    this.lagging.add(conn);
    this.lagTimer ??= setInterval(() => {
      for (const c of this.lagging) this.flush(c);
      if (this.lagging.size === 0) {
        clearInterval(this.lagTimer);
        this.lagTimer = undefined;
      }
    }, 50);
  }

  private closeSlow(conn: Connection, why: string): void {
    this.stats.slow_consumer_closes++;
    this.logger.warn(`Closing slow consumer ${conn.id}: ${why}`);
    this.close(conn, CloseCode.SLOW_CONSUMER, 'slow consumer: reconnect and resume');
  }

  /** A subscription shrank: what is queued and no longer wanted is not sent. */
  private dropUnwanted(conn: Connection): void {
    if (conn.queued === 0) return;
    conn.queue = conn.queue.filter((i) => i !== null && (typeof i === 'string' || conn.wants(i)));
    conn.queued = conn.queue.length;
    if (conn.coalesce) {
      conn.coalesce.clear();
      conn.queue.forEach((i, idx) => {
        if (i !== null && typeof i !== 'string' && i.type === 'production_data' && i.lineId !== null) conn.coalesce!.set(i.lineId, idx);
      });
    }
  }

  private statusOf(conn: Connection): ServerDataMap['status'] {
    return {
      client_id: conn.id,
      connected_at: conn.connectedAt.toISOString(),
      messages_sent: conn.sent,
      messages_received: conn.received,
      subscription: subscriptionOf(conn),
      server: { active_connections: this.connections.size, epoch: this._epoch, seq: this.seq },
      transport: conn.sink.transport,
      user: userOf(conn.principal),
    };
  }

  /** Connections whose transport pings (WebSocket); SSE relies on TCP and its keep-alive comments. */
  private checkLiveness(): void {
    for (const conn of this.connections) {
      if (!conn.sink.ping) continue;
      if (conn.missedPongs >= 2) {
        this.logger.warn(`Terminating connection ${conn.id}: no pong to two pings`);
        this.close(conn, 1006, 'no pong');
        continue;
      }
      conn.missedPongs++;
      conn.sink.ping?.();
    }
  }
}

function userOf(p: Principal): UserInfo | null {
  return p.anonymous ? null : { username: p.username, role: p.role };
}

function subscriptionOf(conn: Connection): { lines: string[]; channels: Channel[]; batch_ms: number } {
  return { lines: conn.lines ? [...conn.lines] : ['*'], channels: [...conn.channels], batch_ms: conn.batchMs };
}
