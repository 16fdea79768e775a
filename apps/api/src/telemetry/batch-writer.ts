/**
 * Collects items and writes them in batches: flushed when `maxBatch` items wait or `flushMs` after
 * the first one, one write in flight at a time. Each `add` resolves when its batch is written.
 */
export class BatchWriter<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly write: (items: T[]) => Promise<R>,
    private readonly opts: { flushMs: number; maxBatch: number },
  ) {}

  get queued(): number {
    return this.pending.length;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.opts.maxBatch) this.kick();
      else this.timer ??= setTimeout(() => this.kick(), this.opts.flushMs);
    });
  }

  /** Writes everything queued now; resolves when it is written. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      this.kick();
      await this.writing;
    }
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.opts.maxBatch);
    this.writing = this.write(batch.map((p) => p.item))
      .then(
        (r) => batch.forEach((p) => p.resolve(r)),
        (e: unknown) => batch.forEach((p) => p.reject(e)),
      )
      .finally(() => {
        this.writing = null;
        // What arrived during the write goes next, without waiting for another timer.
        if (this.pending.length > 0) this.kick();
      });
  }
}
