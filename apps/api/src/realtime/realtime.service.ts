import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  CHANNELS,
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  type Channel,
  type ClientDataMap,
  type ErrorCode as ErrorCodeT,
  type ServerDataMap,
  type ServerType,
} from '@lm/protocol';
import type { WebSocket } from 'ws';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LinesService } from '../lines/lines.service';

interface Connection {
  id: string;
  ws: WebSocket;
  connectedAt: Date;
  /** null: every line. */
  lines: Set<string> | null;
  channels: Set<Channel>;
  batchMs: number;
  sent: number;
  received: number;
  missedPongs: number;
}

type StreamType = Extract<ServerType, Channel>;

/** The live stream hub: connections, subscriptions, seq/epoch, fan-out and its counters. */
@Injectable()
export class RealtimeService implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private readonly logger = new Logger(RealtimeService.name);
  private readonly connections = new Map<WebSocket, Connection>();
  /** Changes whenever this server's stream restarts, so a client can tell its seq is from another stream. */
  readonly epoch = randomUUID();
  private seq = 0;
  private pingTimer?: NodeJS.Timeout;
  private readonly stats = { total_connections: 0, messages_sent: 0, messages_received: 0, errors: 0 };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lines: LinesService,
  ) {}

  onModuleInit(): void {
    // ws README: ping on an interval, terminate a connection that missed two pongs.
    this.pingTimer = setInterval(() => this.checkLiveness(), this.config.realtime.pingIntervalMs);
    this.pingTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pingTimer);
  }

  beforeApplicationShutdown(): void {
    for (const conn of this.connections.values()) conn.ws.close(CloseCode.GOING_AWAY, 'server shutdown');
  }

  connect(ws: WebSocket, _req: IncomingMessage): void {
    const conn: Connection = {
      id: randomUUID(),
      ws,
      connectedAt: new Date(),
      lines: null,
      channels: new Set(CHANNELS),
      batchMs: 0,
      sent: 0,
      received: 0,
      missedPongs: 0,
    };
    this.connections.set(ws, conn);
    this.stats.total_connections++;
    ws.on('pong', () => (conn.missedPongs = 0));
    ws.on('message', () => {
      conn.received++;
      this.stats.messages_received++;
    });
    this.send(conn, 'connected', {
      client_id: conn.id,
      protocol_version: PROTOCOL_VERSION,
      server_time: new Date().toISOString(),
      heartbeat_interval_ms: this.config.realtime.heartbeatIntervalMs,
      epoch: this.epoch,
      seq: this.seq,
      user: null,
    });
  }

  disconnect(ws: WebSocket): void {
    this.connections.delete(ws);
  }

  // ---------- commands ----------

  heartbeat(ws: WebSocket, data: ClientDataMap['heartbeat']): void {
    this.reply(ws, 'heartbeat', { server_time: new Date().toISOString(), client_id: data.client_id ?? null }, data.request_id);
  }

  subscribe(ws: WebSocket, data: ClientDataMap['subscribe']): void {
    const conn = this.connections.get(ws);
    if (!conn) return;
    conn.lines = data.lines.includes('*') ? null : new Set(data.lines);
    if (data.channels) conn.channels = new Set(data.channels);
    if (data.batch_ms !== undefined) conn.batchMs = data.batch_ms;
    this.sendSubscription(conn, data.request_id);
  }

  unsubscribe(ws: WebSocket, data: ClientDataMap['unsubscribe']): void {
    const conn = this.connections.get(ws);
    if (!conn) return;
    if (data.lines.includes('*')) conn.lines = new Set();
    else if (conn.lines) for (const l of data.lines) conn.lines.delete(l);
    else conn.lines = new Set(this.lines.list().map((l) => l.id).filter((id) => !data.lines.includes(id)));
    this.sendSubscription(conn, data.request_id);
  }

  resume(ws: WebSocket, data: ClientDataMap['resume']): void {
    // Replay from a buffer comes with protocol v1's resume (issue 3); until then the client reloads a snapshot.
    this.reply(ws, 'resumed', { recovered: false, epoch: this.epoch, seq: this.seq }, data.request_id);
  }

  requestLatest(ws: WebSocket, data: ClientDataMap['request_latest']): void {
    const lines = Object.fromEntries(this.lines.latestReadings(data.lines).map((r) => [r.production_line_id, r]));
    const status = Object.fromEntries(this.lines.statuses().map((s) => [s.production_line_id, s]));
    this.reply(ws, 'snapshot', { lines, line_status: status, active_alarms: [], epoch: this.epoch, seq: this.seq }, data.request_id);
  }

  requestStatus(ws: WebSocket, data: ClientDataMap['request_status']): void {
    const conn = this.connections.get(ws);
    if (!conn) return;
    this.reply(
      ws,
      'status',
      {
        client_id: conn.id,
        connected_at: conn.connectedAt.toISOString(),
        messages_sent: conn.sent,
        messages_received: conn.received,
        subscription: this.subscription(conn),
        server: { active_connections: this.connections.size, epoch: this.epoch, seq: this.seq },
      },
      data.request_id,
    );
  }

  /** Answers a frame that failed parsing or a command that failed; the connection stays open. */
  rejectFrame(ws: WebSocket, error: { code: ErrorCodeT; message: string; original_message?: string; request_id?: string }): void {
    this.stats.errors++;
    this.reply(ws, 'error', error);
  }

  unavailable(ws: WebSocket, type: string, requestId?: string): void {
    this.rejectFrame(ws, { code: ErrorCode.UNAVAILABLE, message: `"${type}" is not available on this server yet`, request_id: requestId });
  }

  // ---------- the stream ----------

  /** Sends one stream message to every connection subscribed to it; serialised once for all. */
  publish<T extends StreamType>(type: T, data: ServerDataMap[T], lineId: string, timestamp: string): void {
    const seq = ++this.seq;
    if (this.connections.size === 0) return;
    const frame = JSON.stringify({ type, timestamp, seq, data });
    for (const conn of this.connections.values()) {
      if (!conn.channels.has(type) || (conn.lines !== null && !conn.lines.has(lineId))) continue;
      this.write(conn, frame);
    }
  }

  health(): { total_connections: number; active_connections: number; messages_sent: number; messages_received: number; errors: number; epoch: string; seq: number } {
    return { ...this.stats, active_connections: this.connections.size, epoch: this.epoch, seq: this.seq };
  }

  // ---------- internals ----------

  private reply<T extends ServerType>(ws: WebSocket, type: T, data: ServerDataMap[T], requestId?: string): void {
    const conn = this.connections.get(ws);
    if (!conn) return;
    const payload = requestId === undefined ? data : { ...data, request_id: requestId };
    this.send(conn, type, payload as ServerDataMap[T]);
  }

  private send<T extends ServerType>(conn: Connection, type: T, data: ServerDataMap[T]): void {
    this.write(conn, JSON.stringify({ type, timestamp: new Date().toISOString(), data }));
  }

  private write(conn: Connection, frame: string): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(frame);
    conn.sent++;
    this.stats.messages_sent++;
  }

  private subscription(conn: Connection): { lines: string[]; channels: Channel[]; batch_ms: number } {
    return { lines: conn.lines ? [...conn.lines] : ['*'], channels: [...conn.channels], batch_ms: conn.batchMs };
  }

  private sendSubscription(conn: Connection, requestId?: string): void {
    this.reply(conn.ws, 'subscribed', this.subscription(conn), requestId);
  }

  private checkLiveness(): void {
    for (const conn of this.connections.values()) {
      if (conn.missedPongs >= 2) {
        this.logger.warn(`Terminating connection ${conn.id}: no pong to two pings`);
        conn.ws.terminate();
        continue;
      }
      conn.missedPongs++;
      conn.ws.ping();
    }
  }
}
