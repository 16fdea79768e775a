export interface BatchWriterOptions {
  /** Flush a partial batch this long after its first item; 0 flushes on the next turn of the event loop. */
  flushMs: number;
  maxBatch: number;
  /**
   * Retry a failed batch (same items, same order) with exponential backoff instead of rejecting it: the
   * database being down pauses writing, it loses nothing. `onError` hears every failure.
   */
  retry?: { minDelayMs: number; maxDelayMs: number; onError(err: unknown, attempt: number): void };
}

/**
 * Collects items and writes them in batches: flushed when `maxBatch` items wait or `flushMs` after
 * the first one, one write in flight at a time (what arrives meanwhile forms the next batch, so batches
 * grow with the load). Each `add` resolves when its batch is written.
 */
export class BatchWriter<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private writing: Promise<void> | null = null;
  private failing = false;
  private closed = false;

  constructor(
    private readonly write: (items: T[]) => Promise<R>,
    private readonly opts: BatchWriterOptions,
  ) {}

  /** Items waiting, including the batch being written. */
  get queued(): number {
    return this.pending.length + this.inWrite;
  }

  /** True while the last write failed and is being retried. */
  get stalled(): boolean {
    return this.failing;
  }

  private inWrite = 0;

  add(item: T): Promise<R> {
    if (this.closed) return Promise.reject(new BatchWriterClosedError());
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.opts.maxBatch) this.kick();
      else if (!this.timer) {
        this.timer = this.opts.flushMs > 0 ? setTimeout(() => this.kick(), this.opts.flushMs) : setImmediate(() => this.kick());
      }
    });
  }

  /** Writes everything queued now; resolves when it is written. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      this.kick();
      await this.writing;
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
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.maxBatch);
    this.inWrite = batch.length;
    this.writing = this.writeWithRetry(batch.map((p) => p.item))
      .then(
        (r) => batch.forEach((p) => p.resolve(r)),
        (e: unknown) => batch.forEach((p) => p.reject(e)),
      )
      .finally(() => {
        this.writing = null;
        this.inWrite = 0;
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

export class BatchWriterClosedError extends Error {
  /** Tells the MQTT transport not to acknowledge: the broker must deliver this message again. */
  readonly redeliver = true;

  constructor() {
    super('The writer is closed (shutting down): not written, not acknowledged');
  }
}
