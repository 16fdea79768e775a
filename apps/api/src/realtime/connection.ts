import { randomUUID } from 'node:crypto';
import { CHANNELS, type Channel } from '@lm/protocol';
import type { Principal } from '../auth/principal';
import type { StreamEntry } from './stream-entry';

/** An item waiting to be written to one client: a shared stream entry, or a control frame (reply). */
export type Outgoing = StreamEntry | string;

/** Where a connection's frames go: a WebSocket or a Server-Sent Events response. */
export interface Sink {
  readonly transport: 'websocket' | 'sse';
  /** Bytes written but not yet taken by the network (what a slow reader makes grow). */
  buffered(): number;
  /** Writes in one go (corked). `batch`: stream entries travel inside `batch` frames. Returns frames written. */
  write(items: readonly (Outgoing | null)[], batch: boolean): number;
  close(code: number, reason: string): void;
  /** Transport-level liveness probe (WebSocket ping); absent where the transport has none. */
  ping?(): void;
}

/** One client of the live stream: its subscription, its outgoing queue and its limits. */
export class Connection {
  readonly id = randomUUID();
  readonly connectedAt = new Date();
  /** null: every line. */
  lines: Set<string> | null = null;
  channels = new Set<Channel>(CHANNELS);
  batchMs = 0;
  sent = 0;
  received = 0;
  missedPongs = 0;
  closed = false;

  /** Frames waiting for the next flush; null marks a production_data replaced by a newer one. */
  queue: (Outgoing | null)[] = [];
  /** Non-null items in `queue`. */
  queued = 0;
  /** Behind on reading: production_data is coalesced per line until it catches up. */
  lagging = false;
  laggingSince = 0;
  /** Line -> index in `queue` of its pending production_data, while lagging. */
  coalesce: Map<string, number> | null = null;
  batchTimer: NodeJS.Timeout | undefined;
  expiryTimer: NodeJS.Timeout | undefined;

  // Token bucket for client frames, and the rejections of the current window.
  private tokens: number;
  private refilledAt = Date.now();
  private rejectWindowStart = Date.now();
  private rejected = 0;

  constructor(
    readonly sink: Sink,
    readonly principal: Principal,
    /** Stream seq when the connection started: live messages after it were sent to it directly. */
    readonly startSeq: number,
    private readonly ratePerSec: number,
  ) {
    this.tokens = ratePerSec * 2;
  }

  /** Whether this connection's subscription covers a stream entry. */
  wants(entry: StreamEntry): boolean {
    if (entry.channel !== null && !this.channels.has(entry.channel)) return false;
    return entry.lineId === null || this.lines === null || this.lines.has(entry.lineId);
  }

  /**
   * Rate limit of client frames. 'ok', 'limited' (answer `rate_limited`), or 'flooding' when the
   * rejections persist (close 1008).
   */
  admit(now: number): 'ok' | 'limited' | 'flooding' {
    const burst = this.ratePerSec * 2;
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * this.ratePerSec) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'ok';
    }
    if (now - this.rejectWindowStart > 5000) {
      this.rejectWindowStart = now;
      this.rejected = 0;
    }
    return ++this.rejected > burst ? 'flooding' : 'limited';
  }
}
