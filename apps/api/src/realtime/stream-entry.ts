import type { Channel, StreamType } from '@lm/protocol';

/**
 * One message of the live stream, serialised once and shared by every connection and the replay ring:
 * no per-client JSON or Buffer work.
 */
export class StreamEntry {
  /** UTF-8 bytes of `frame`, made once for every WebSocket send. */
  readonly buf: Buffer;
  private sseFrame: string | null = null;

  constructor(
    readonly seq: number,
    readonly type: StreamType,
    /** null: goes to every connection whatever its channels (notifications). */
    readonly channel: Channel | null,
    /** null: not about one line. */
    readonly lineId: string | null,
    readonly frame: string,
  ) {
    this.buf = Buffer.from(frame);
  }

  /** The Server-Sent Events form (`id:` = seq), made on first use. */
  get sse(): string {
    return (this.sseFrame ??= `id: ${this.seq}\ndata: ${this.frame}\n\n`);
  }
}

/** A fixed-size ring of the last stream messages, for `resume` and SSE `Last-Event-ID`. */
export class ReplayRing {
  private readonly slots: (StreamEntry | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<StreamEntry | undefined>(capacity);
  }

  push(entry: StreamEntry): void {
    if (this.capacity === 0) return;
    this.slots[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Forgets everything kept (a new epoch: nothing of the old stream can be replayed). */
  clear(): void {
    this.slots.fill(undefined);
    this.next = 0;
    this.count = 0;
  }

  /** Every kept entry, oldest first. */
  entries(): StreamEntry[] {
    const first = (this.next - this.count + this.capacity) % this.capacity;
    const out: StreamEntry[] = [];
    for (let k = 0; k < this.count; k++) out.push(this.slots[(first + k) % this.capacity]!);
    return out;
  }

  /** Seq of the oldest message kept; null when empty. */
  oldestSeq(): number | null {
    if (this.count === 0) return null;
    const i = (this.next - this.count + this.capacity) % this.capacity;
    return this.slots[i]!.seq;
  }

  /**
   * Every kept entry with `after < seq <= upTo`, oldest first; null when the ring no longer holds
   * `after + 1` (the gap is older than what is kept).
   */
  since(after: number, upTo: number): StreamEntry[] | null {
    if (after >= upTo) return [];
    const oldest = this.oldestSeq();
    if (oldest === null || oldest > after + 1) return null;
    const out: StreamEntry[] = [];
    // Seqs are consecutive in the ring, so the start index is computed, not searched.
    const first = (this.next - this.count + this.capacity) % this.capacity;
    const skip = after + 1 - oldest;
    for (let k = skip; k < this.count; k++) {
      const e = this.slots[(first + k) % this.capacity]!;
      if (e.seq > upTo) break;
      out.push(e);
    }
    return out;
  }
}
