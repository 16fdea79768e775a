export interface BatchWriterOptions {
  /** Flush a partial batch this long after its first item; 0 flushes on the next turn of the event loop. */
  flushMs: number;
  maxBatch: number;
  /**
   * Writes in flight at once (default 1). With 2 the next batch is prepared and sent while the database
   * works on the previous one. Batches still settle in the order they were taken.
   */
  concurrency?: number;
  /**
   * Retry a failed batch (same items, same order) with exponential backoff instead of rejecting it: the
   * database being down pauses writing, it loses nothing. `onError` hears every failure.
   */
  retry?: { minDelayMs: number; maxDelayMs: number; onError(err: unknown, attempt: number): void };
}

/**
 * Collects items and writes them in batches: flushed when `maxBatch` items wait or `flushMs` after
 * the first one, `concurrency` writes in flight at a time (what arrives meanwhile forms the next batch,
 * so batches grow with the load). Each `add` (one item) or `addAll` (a group, e.g. the rows of one MQTT message)
 * resolves when its batch is written. A group is never split: a batch holds whole groups, and a group
 * larger than `maxBatch` is written alone.
 */
export class BatchWriter<T, R> {
  // One entry (and one promise) per group, not per item: ingest adds a message's rows at once.
  private pending: PendingGroup<T, R>[] = [];
  private pendingItems = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private writes = 0;
  // Settles when the batch taken last has settled (and with it every earlier one): batches resolve in order.
  private lastSettled: Promise<void> = Promise.resolve();
  private failing = false;
  private closed = false;
  private inWrite = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<R>,
    private readonly opts: BatchWriterOptions,
  ) {}

  /** Items waiting, including the batch being written. */
  get queued(): number {
    return this.pendingItems + this.inWrite;
  }

  /** True while the last write failed and is being retried. */
  get stalled(): boolean {
    return this.failing;
  }

  add(item: T): Promise<R> {
    return this.addAll([item]);
  }

  /** Adds the items together (they go into the same batch); resolves with that batch's result. */
  addAll(items: T[]): Promise<R> {
    if (this.closed) return Promise.reject(new BatchWriterClosedError());
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.pendingItems += items.length;
      if (this.pendingItems >= this.opts.maxBatch) this.kick();
      else if (!this.timer) {
        this.timer = this.opts.flushMs > 0 ? setTimeout(() => this.kick(), this.opts.flushMs) : setImmediate(() => this.kick());
      }
    });
  }

  /** Writes everything queued now; resolves when it is written. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writes > 0) {
      this.kick();
      await this.lastSettled;
    }
  }

  /**
   * Stops writing: what is still queued is rejected (its messages are not acknowledged, so the broker
   * delivers them again), a write being retried gives up, and later `add`s are refused. For shutdown,
   * after a bounded `flush`, so that a database that is down cannot hold the process forever.
   */
  close(): void {
    this.closed = true;
    this.clearTimer();
    const waiting = this.pending.splice(0);
    this.pendingItems = 0;
    for (const p of waiting) p.reject(new BatchWriterClosedError());
  }

  private clearTimer(): void {
    if (!this.timer) return;
    if (this.opts.flushMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
    else clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private kick(): void {
    this.clearTimer();
    while (this.writes < (this.opts.concurrency ?? 1) && this.pending.length > 0) this.startWrite();
  }

  private startWrite(): void {
    // Whole groups up to maxBatch items (at least one group).
    let groups = 0;
    let size = 0;
    while (groups < this.pending.length && (groups === 0 || size + this.pending[groups].items.length <= this.opts.maxBatch)) {
      size += this.pending[groups].items.length;
      groups++;
    }
    const batch = this.pending.splice(0, groups);
    this.pendingItems -= size;
    this.inWrite += size;
    this.writes++;
    const items = batch.length === 1 ? batch[0].items : batch.flatMap((p) => p.items);
    const before = this.lastSettled;
    // Settled after the batches taken before it, whatever order the database finishes them in: callers
    // (and what they broadcast) see commits in arrival order.
    this.lastSettled = this.writeWithRetry(items)
      .then(
        (r) =>
          before.then(() => {
            for (const p of batch) p.resolve(r);
          }),
        (e: unknown) =>
          before.then(() => {
            for (const p of batch) p.reject(e);
          }),
      )
      .finally(() => {
        this.writes--;
        this.inWrite -= size;
        // What arrived during the write goes next, without waiting for another timer.
        if (this.pending.length > 0) this.kick();
      });
  }

  private async writeWithRetry(items: T[]): Promise<R> {
    const retry = this.opts.retry;
    if (!retry) return this.write(items);
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.write(items);
        this.failing = false;
        return r;
      } catch (err) {
        this.failing = true;
        if (this.closed) throw err;
        retry.onError(err, attempt);
        const delay = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** Math.min(attempt - 1, 20));
        await new Promise((r) => setTimeout(r, delay));
        if (this.closed) throw new BatchWriterClosedError();
      }
    }
  }
}

interface PendingGroup<T, R> {
  items: T[];
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class BatchWriterClosedError extends Error {
  /** Tells the MQTT transport not to acknowledge: the broker must deliver this message again. */
  readonly redeliver = true;

  constructor() {
    super('The writer is closed (shutting down): not written, not acknowledged');
  }
}
