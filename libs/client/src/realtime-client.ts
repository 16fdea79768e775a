import ReconnectingWebSocket from 'reconnecting-websocket';
import {
  CloseCode,
  isServerType,
  parseServerFrame,
  type Channel,
  type ClientDataMap,
  type ClientType,
  type Envelope,
  type ServerDataMap,
  type ServerMessage,
  type ServerType,
} from '@lm/protocol';
import { NotLiveError, type ConnectionState, type StateChange } from './connection-state';
import { TypedEmitter } from './emitter';
import { FetchEventSource, type EventSourceConstructor, type EventSourceLike } from './event-source';

/** Any WebSocket constructor: the browser's, or `require('ws')` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

export interface RealtimeClientOptions {
  /** ws:// or wss:// URL of the `/ws` endpoint. */
  url: string;
  /** Needed in Node 20, which has no global WebSocket: `require('ws')`. */
  WebSocket?: WebSocketConstructor;
  /** How often we send `heartbeat`; 2 intervals without any message reconnect. Default 30000. */
  heartbeatIntervalMs?: number;
  /** How long a `heartbeat` may stay unanswered before we reconnect. Default min(10000, interval). */
  heartbeatTimeoutMs?: number;
  /** Default 4000. */
  connectionTimeout?: number;
  /** Base reconnection delay. Default 1000. */
  minReconnectionDelay?: number;
  /** Random extra delay (0..jitter) on every reconnect, so clients don't stampede a restarted server. Default = minReconnectionDelay. */
  reconnectionJitterMs?: number;
  /** Default 1.3. */
  reconnectionDelayGrowFactor?: number;
  /** Default 10000. */
  maxReconnectionDelay?: number;
  /** Default Infinity. */
  maxRetries?: number;
  /** Called when one of our listeners throws. Default console.error. */
  onListenerError?: (error: unknown, event: PropertyKey) => void;
  /**
   * Server-Sent Events URL used when WebSocket cannot connect. Default: the `url` with http(s) and
   * `/api/events` instead of `/ws` (query kept, so a `?token=` travels along); null disables the fallback.
   */
  sseUrl?: string | null;
  /** EventSource implementation; default the browser's, else a fetch-based reader (Node). */
  EventSource?: EventSourceConstructor;
  /** Failed WebSocket connects in a row before falling back to SSE. Default 3. */
  fallbackAfterFailures?: number;
  /** How long `recovering` may wait for `resumed` before giving up on it (and loading a snapshot). Default 10000. */
  resumeTimeoutMs?: number;
}

/** What the client subscribes to; sent again after every reconnect. */
export interface Subscription {
  lines: string[];
  channels?: Channel[];
  batch_ms?: number;
}

type ServerEnvelopes = { [K in ServerType]: Envelope<K, ServerDataMap[K]> };

/** Events of the client: `state`, `message` (every known server envelope) and one per server message type. */
export type RealtimeEvents = {
  state: [change: StateChange];
  message: [message: ServerMessage];
} & { [K in ServerType]: [data: ServerDataMap[K], envelope: ServerEnvelopes[K]] };

// Retrying cannot fix these: stop and report instead of hammering the server.
const FATAL_CLOSE_CODES = new Set<number>([CloseCode.UNAUTHENTICATED, CloseCode.FORBIDDEN]);
// Application close code we use when the watchdog drops a connection (browsers allow 1000 and 3000-4999).
const WATCHDOG_CLOSE = 4000;

interface CloseLike {
  code?: number;
  reason?: string;
}
interface MessageLike {
  data?: unknown;
}
type Timer = ReturnType<typeof setTimeout>;
type Interval = ReturnType<typeof setInterval>;

/**
 * The realtime client: reconnecting-websocket plus an explicit connection state, heartbeat watchdog,
 * gap-free resume after reconnects, SSE fallback, per-line freshness and typed events. Framework free;
 * runs in browsers and Node.
 */
export class RealtimeClient extends TypedEmitter<RealtimeEvents> {
  private readonly rws: ReconnectingWebSocket;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly maxRetries: number;
  private readonly jitterMs: number;
  private readonly sseUrl: string | null;
  private readonly EventSourceCtor: EventSourceConstructor;
  private readonly fallbackAfterFailures: number;
  private readonly resumeTimeoutMs: number;

  private _state: ConnectionState = 'connecting';
  private _lastMessageAt: number | null = null;
  private _epoch: string | null = null;
  private _seq: number | null = null;
  private _server: ServerDataMap['connected'] | null = null;
  private readonly lineSeen = new Map<string, number>();
  private subscription: Subscription | null = null;

  private socketOpen = false;
  private closedByUser = false;
  private connectAttempts = 0;
  private failuresInRow = 0;
  // Last inbound activity (message or open) of the current socket: what the silence watchdog measures.
  private lastActivityAt = 0;
  private silenceTimer: Timer | undefined;
  private heartbeatTimer: Interval | undefined;
  private heartbeatAnswerTimer: Timer | undefined;
  private jitter: { timer: Timer; release: () => void } | undefined;

  // Between `connected` and `resumed`: live stream messages newer than the connect wait here, so the
  // replayed ones (older) are delivered first and the listener sees one ordered sequence.
  private recovering: { startSeq: number; held: Envelope[]; timer: Timer | undefined } | null = null;
  // SSE fallback, while WebSocket cannot connect (reconnecting-websocket keeps trying meanwhile).
  private sse: EventSourceLike | null = null;

  constructor(options: RealtimeClientOptions) {
    super(options.onListenerError);
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? Math.min(10_000, this.heartbeatIntervalMs);
    this.maxRetries = options.maxRetries ?? Infinity;
    const minDelay = options.minReconnectionDelay ?? 1000;
    this.jitterMs = options.reconnectionJitterMs ?? minDelay;
    this.sseUrl = options.sseUrl === undefined ? defaultSseUrl(options.url) : options.sseUrl;
    this.EventSourceCtor =
      options.EventSource ?? (globalThis as unknown as { EventSource?: EventSourceConstructor }).EventSource ?? FetchEventSource;
    this.fallbackAfterFailures = options.fallbackAfterFailures ?? 3;
    this.resumeTimeoutMs = options.resumeTimeoutMs ?? 10_000;

    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!Ctor) throw new Error("No WebSocket implementation: in Node pass { WebSocket: require('ws') }");

    this.rws = new ReconnectingWebSocket(() => this.nextUrl(options.url), undefined, {
      WebSocket: withErrorGuard(Ctor),
      connectionTimeout: options.connectionTimeout ?? 4000,
      minReconnectionDelay: minDelay,
      reconnectionDelayGrowFactor: options.reconnectionDelayGrowFactor ?? 1.3,
      maxReconnectionDelay: options.maxReconnectionDelay ?? 10_000,
      maxRetries: this.maxRetries,
      // Never queue while offline: a command replayed minutes later is worse than one refused now.
      maxEnqueuedMessages: 0,
    });
    this.rws.addEventListener('open', this.handleOpen);
    this.rws.addEventListener('message', this.handleMessage);
    this.rws.addEventListener('close', this.handleClose);
  }

  get state(): ConnectionState {
    return this._state;
  }
  /** Commands can be sent (WebSocket open and caught up). */
  get isLive(): boolean {
    return this._state === 'live' && this.socketOpen;
  }
  /** Epoch ms (client clock) of the last frame received on any connection; null before the first. */
  get lastMessageAt(): number | null {
    return this._lastMessageAt;
  }
  /** Stream epoch (for `resume`). */
  get epoch(): string | null {
    return this._epoch;
  }
  /** Seq of the last stream message delivered (or of `connected` before any). */
  get seq(): number | null {
    return this._seq;
  }
  /** The `connected` payload of the current or last connection. */
  get server(): ServerDataMap['connected'] | null {
    return this._server;
  }
  /** `websocket`, `sse` (fallback) or null when neither is connected. */
  get transport(): 'websocket' | 'sse' | null {
    return this.socketOpen ? 'websocket' : this.sse ? 'sse' : null;
  }

  /** Epoch ms (client clock) when data for this line last arrived; undefined if never. */
  lastSeen(lineId: string): number | undefined {
    return this.lineSeen.get(lineId);
  }
  /** Every line id seen on the stream so far. */
  seenLines(): string[] {
    return [...this.lineSeen.keys()];
  }
  /** Whether data of this line arrived within `maxAgeMs` (a UI shows older values as stale). */
  isFresh(lineId: string, maxAgeMs: number, now = Date.now()): boolean {
    const seen = this.lineSeen.get(lineId);
    return seen !== undefined && now - seen <= maxAgeMs;
  }

  /**
   * Sets what this client wants (lines, channels, `batch_ms`) and sends it when live. The client sends
   * it again after every reconnect, and uses it for the SSE fallback.
   */
  subscribe(subscription: Subscription): void {
    this.subscription = { ...subscription, lines: [...subscription.lines] };
    if (this.isLive) this.sendRaw('subscribe', { ...this.subscription });
  }

  /**
   * Sends a command. Throws NotLiveError when the connection is not live: commands are never queued
   * and replayed late.
   */
  send<K extends ClientType>(type: K, data: ClientDataMap[K]): void {
    if (!this.isLive) throw new NotLiveError(type, this._state);
    if (type === 'subscribe') {
      const d = data as ClientDataMap['subscribe'];
      this.subscription = { lines: [...d.lines], channels: d.channels, batch_ms: d.batch_ms };
    }
    this.sendRaw(type, data);
  }

  /** Resolves when live; rejects when the client goes offline or the timeout passes. */
  ready(timeoutMs = 30_000): Promise<void> {
    if (this._state === 'live') return Promise.resolve();
    if (this._state === 'offline') return Promise.reject(new Error('Realtime client is offline'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`Realtime client not live after ${timeoutMs} ms (${this._state})`));
      }, timeoutMs);
      const off = this.on('state', (change) => {
        if (change.state !== 'live' && change.state !== 'offline') return;
        clearTimeout(timer);
        off();
        if (change.state === 'live') resolve();
        else reject(new Error(`Realtime client went offline: ${change.reason}`));
      });
    });
  }

  /** Drops the current connection and connects again now (e.g. after the network came back). */
  reconnect(reason = 'reconnect requested'): void {
    if (this.closedByUser) return;
    this.stopTimers();
    this.endRecovery();
    if (!this.sse) this.setState('reconnecting', reason);
    this.rws.reconnect(WATCHDOG_CLOSE, reason.slice(0, 120));
  }

  /** Closes for good: no reconnection, state `offline`. */
  close(): void {
    if (this.closedByUser) return;
    this.closedByUser = true;
    this.stopTimers();
    this.endRecovery();
    this.stopSse();
    this.socketOpen = false;
    // Let a pending jittered connect resolve now: reconnecting-websocket then sees it was closed.
    if (this.jitter) {
      clearTimeout(this.jitter.timer);
      this.jitter.release();
      this.jitter = undefined;
    }
    this.rws.close(1000, 'client closed');
    this.setState('offline', 'closed by client');
  }

  // The one place the state changes; every transition is an event.
  private setState(state: ConnectionState, reason: string, closeCode?: number): void {
    if (state === this._state) return;
    const change: StateChange = { state, previous: this._state, reason, at: Date.now(), closeCode };
    this._state = state;
    this.emit('state', change);
  }

  private sendRaw<K extends ClientType>(type: K, data: ClientDataMap[K]): void {
    this.rws.send(JSON.stringify({ type, timestamp: new Date().toISOString(), data }));
  }

  // reconnecting-websocket adds growing delays but no randomness per attempt: we add the jitter
  // here, through its (public) async URL provider.
  private nextUrl(url: string): Promise<string> {
    const first = this.connectAttempts++ === 0;
    if (first || this.jitterMs <= 0 || this.closedByUser) return Promise.resolve(url);
    return new Promise<string>((resolve) => {
      const release = (): void => {
        this.jitter = undefined;
        resolve(url);
      };
      this.jitter = { timer: setTimeout(release, Math.random() * this.jitterMs), release };
    });
  }

  private readonly handleOpen = (): void => {
    this.socketOpen = true;
    this.failuresInRow = 0;
    // WebSocket works again: it replaces the SSE fallback (the `connected` that follows resumes).
    this.stopSse();
    this.lastActivityAt = Date.now();
    this.armSilenceWatchdog();
    this.heartbeatTimer = setInterval(this.sendHeartbeat, this.heartbeatIntervalMs);
    // `live` waits for the first envelope (normally `connected`): an open socket the server has
    // not spoken on yet proves little.
  };

  private readonly handleMessage = (event: MessageLike): void => {
    this.receive(event.data);
  };

  private receive(raw: unknown): void {
    const now = Date.now();
    this._lastMessageAt = now;
    this.lastActivityAt = now;
    if (typeof raw !== 'string') return; // binary frames are not part of the protocol
    const envelope = parseServerFrame(raw);
    if (!envelope) return;
    if (envelope.type === 'batch') {
      // Batched delivery (subscribe with batch_ms): each inner envelope keeps its own seq.
      const inner = (envelope.data as { messages?: unknown }).messages;
      if (Array.isArray(inner)) {
        for (const item of inner) if (isEnvelope(item)) this.dispatch(item, now);
      }
      return;
    }
    this.dispatch(envelope, now);
  }

  private dispatch(envelope: Envelope, now: number): void {
    const seq = typeof envelope.seq === 'number' && Number.isFinite(envelope.seq) ? envelope.seq : null;
    if (seq !== null) {
      // Live messages newer than the connect wait until the replay before them has arrived.
      if (this.recovering && seq > this.recovering.startSeq) {
        this.recovering.held.push(envelope);
        return;
      }
      // Already delivered (a replay overlapping what we had): never twice.
      if (this._seq !== null && seq <= this._seq) return;
      if (!this.wanted(envelope)) return;
      this._seq = seq;
    }
    // Unknown types are ignored (forward compatible), but they still prove the link is alive.
    if (!isServerType(envelope.type)) return;
    const message = envelope as ServerMessage;
    switch (message.type) {
      case 'connected':
        this.onConnected(message.data);
        break;
      case 'resumed':
        this.onResumed(message.data);
        break;
      case 'heartbeat':
        if (this.heartbeatAnswerTimer !== undefined) {
          clearTimeout(this.heartbeatAnswerTimer);
          this.heartbeatAnswerTimer = undefined;
        }
        break;
      case 'production_data':
      case 'line_status':
        if (typeof message.data.production_line_id === 'string') this.lineSeen.set(message.data.production_line_id, now);
        break;
      default:
        break;
    }
    if (this._state !== 'live' && this._state !== 'recovering' && this.socketOpen && !this.closedByUser && !this.recovering) {
      this.setState('live', message.type === 'connected' ? 'connected' : `first message (${message.type})`);
    } else if (this.sse && !this.socketOpen && this._state !== 'fallback') {
      // Only a stream that actually delivers counts as the fallback; a server that is down stays `reconnecting`.
      this.setState('fallback', 'WebSocket blocked: receiving over Server-Sent Events');
    }
    this.emit('message', message);
    this.emitTyped(message);
  }

  // A new connection gets everything until it subscribes: what the subscription excludes is dropped here too.
  private wanted(envelope: Envelope): boolean {
    const sub = this.subscription;
    if (!sub) return true;
    const data = envelope.data as { production_line_id?: unknown };
    const channel = envelope.type === 'alarm_update' ? 'alarm' : envelope.type;
    if (sub.channels && (channel === 'production_data' || channel === 'alarm' || channel === 'line_status') && !sub.channels.includes(channel)) {
      return false;
    }
    if (sub.lines.includes('*') || typeof data.production_line_id !== 'string') return true;
    return sub.lines.includes(data.production_line_id);
  }

  private onConnected(data: ServerDataMap['connected']): void {
    this._server = data;
    const previous = this._epoch !== null && this._seq !== null ? { epoch: this._epoch, last_seq: this._seq } : null;
    const overSse = !this.socketOpen && this.sse !== null;
    if (!overSse && this.subscription) this.sendRaw('subscribe', { ...this.subscription });
    if (previous === null) {
      this._epoch = data.epoch;
      this._seq = data.seq;
      return;
    }
    // Reconnected: get what was missed (over SSE the server resumes from Last-Event-ID by itself).
    this.recovering = {
      startSeq: data.seq,
      held: [],
      timer: setTimeout(() => this.onResumed({ recovered: false, epoch: data.epoch, seq: data.seq }), this.resumeTimeoutMs),
    };
    if (!overSse) {
      this.setState('recovering', `resuming after seq ${previous.last_seq}`);
      this.sendRaw('resume', previous);
    }
  }

  private onResumed(data: ServerDataMap['resumed']): void {
    const recovery = this.recovering;
    if (!recovery) return;
    this.endRecovery();
    this._epoch = data.epoch;
    if (!data.recovered) {
      // The gap cannot be filled: start from the connect and reload the latest values instead.
      this._seq = recovery.startSeq;
      if (this.socketOpen) this.sendRaw('request_latest', this.subscription && !this.subscription.lines.includes('*') ? { lines: this.subscription.lines } : {});
    } else if (this._seq === null || this._seq < recovery.startSeq) {
      this._seq = recovery.startSeq;
    }
    const now = Date.now();
    for (const envelope of recovery.held) this.dispatch(envelope, now);
    if (this.socketOpen) this.setState('live', data.recovered ? 'resumed' : 'resumed without recovery: snapshot requested');
  }

  private endRecovery(): void {
    if (this.recovering) clearTimeout(this.recovering.timer);
    this.recovering = null;
  }

  // `message.type` and `message.data` always belong together, which the compiler cannot follow
  // through a union; one cast here instead of a switch that must grow with the protocol.
  private emitTyped(message: ServerMessage): void {
    const emit = this.emit.bind(this) as unknown as (type: ServerType, data: unknown, envelope: ServerMessage) => void;
    emit(message.type, message.data, message);
  }

  private readonly handleClose = (event: CloseLike): void => {
    const wasOpen = this.socketOpen;
    this.socketOpen = false;
    this.stopTimers();
    this.endRecovery();
    if (this.closedByUser) {
      this.setState('offline', 'closed by client');
      return;
    }
    const code = typeof event.code === 'number' ? event.code : undefined;
    const why = event.reason ? `: ${event.reason}` : '';
    if (code !== undefined && FATAL_CLOSE_CODES.has(code)) {
      this.closedByUser = true;
      this.stopSse();
      this.rws.close(1000, 'refused by server');
      this.setState('offline', `refused by server (${code}${why})`, code);
      return;
    }
    // reconnecting-websocket has already scheduled the next attempt, unless retries ran out.
    if (this.rws.retryCount >= this.maxRetries) {
      this.setState('offline', `gave up after ${this.maxRetries} retries`, code);
      return;
    }
    // reconnecting-websocket reports a failed attempt as a synthetic close 1000: name it for what it is.
    if (!wasOpen) this.failuresInRow++;
    if (this.sse) return; // in fallback: the failed attempt was the periodic WebSocket retry
    if (!wasOpen && this.sseUrl !== null && this.failuresInRow >= this.fallbackAfterFailures) {
      this.startSse(`WebSocket failed ${this.failuresInRow} times in a row`);
      return;
    }
    const reason = wasOpen
      ? `socket closed (${code ?? 'no code'}${why})`
      : `could not connect${why} (${this.failuresInRow} failed attempt${this.failuresInRow > 1 ? 's' : ''})`;
    this.setState('reconnecting', reason, wasOpen ? code : undefined);
  };

  private startSse(reason: string): void {
    if (this.sseUrl === null) return;
    const url = new URL(this.sseUrl);
    const sub = this.subscription;
    if (sub && !sub.lines.includes('*')) url.searchParams.set('lines', sub.lines.join(','));
    if (sub?.channels) url.searchParams.set('channels', sub.channels.join(','));
    if (this._epoch !== null && this._seq !== null) {
      url.searchParams.set('epoch', this._epoch);
      url.searchParams.set('last_event_id', String(this._seq));
    }
    const source = new this.EventSourceCtor(url.toString());
    this.sse = source;
    source.onmessage = (ev) => {
      if (this.sse === source) this.receive(ev.data);
    };
    source.onerror = () => {
      // EventSource retries by itself (and resumes with Last-Event-ID); a replay may follow a new `connected`.
      if (this.sse !== source) return;
      this.endRecovery();
      this.setState('reconnecting', 'Server-Sent Events stream lost');
    };
    this.setState('reconnecting', `${reason}: trying Server-Sent Events`);
  }

  private stopSse(): void {
    if (!this.sse) return;
    this.sse.onmessage = null;
    this.sse.onerror = null;
    this.sse.close();
    this.sse = null;
    this.endRecovery();
  }

  private readonly sendHeartbeat = (): void => {
    if (!this.socketOpen || this.heartbeatAnswerTimer !== undefined) return;
    const data: ClientDataMap['heartbeat'] = this._server ? { client_id: this._server.client_id } : {};
    this.sendRaw('heartbeat', data);
    this.heartbeatAnswerTimer = setTimeout(() => {
      this.heartbeatAnswerTimer = undefined;
      this.reconnect(`watchdog: heartbeat unanswered for ${this.heartbeatTimeoutMs} ms`);
    }, this.heartbeatTimeoutMs);
  };

  // One timer re-armed to the current deadline, instead of resetting a timer on every message at 80/s.
  private armSilenceWatchdog(): void {
    const limit = 2 * this.heartbeatIntervalMs;
    const wait = Math.max(0, this.lastActivityAt + limit - Date.now());
    this.silenceTimer = setTimeout(() => {
      this.silenceTimer = undefined;
      if (!this.socketOpen) return;
      if (Date.now() - this.lastActivityAt >= limit) this.reconnect(`watchdog: no message for ${limit} ms`);
      else this.armSilenceWatchdog();
    }, wait);
  }

  private stopTimers(): void {
    clearTimeout(this.silenceTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.heartbeatAnswerTimer);
    this.silenceTimer = undefined;
    this.heartbeatTimer = undefined;
    this.heartbeatAnswerTimer = undefined;
  }
}

/** ws://host/ws?token=x -> http://host/api/events?token=x */
function defaultSseUrl(wsUrl: string): string | null {
  try {
    const u = new URL(wsUrl);
    u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
    u.pathname = u.pathname.replace(/\/ws\/?$/, '') + '/api/events';
    return u.toString();
  } catch {
    return null;
  }
}

function isEnvelope(v: unknown): v is Envelope {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.type === 'string' && typeof e.data === 'object' && e.data !== null;
}

const noop = (): void => undefined;

// ws (Node) throws an 'error' event that has no listener. reconnecting-websocket removes its listeners
// before closing a socket that timed out while connecting, and ws then emits exactly that error and
// would crash the process. A permanent no-op listener keeps it harmless (browsers never throw here).
function withErrorGuard(Ctor: WebSocketConstructor): WebSocketConstructor {
  const Base: new (url: string, protocols?: string | string[]) => {
    addEventListener?: (type: 'error', listener: () => void) => void;
  } = Ctor;
  return class GuardedWebSocket extends Base {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener?.('error', noop);
    }
  };
}
