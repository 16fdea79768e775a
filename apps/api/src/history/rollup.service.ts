import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RollupRepository, type RollupState } from './rollup.repository';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 3600_000;
/** A minute is rolled this long after it closes: rows still in an ingest batch then are not "late". */
const GRACE_MS = 10_000;
/** One transaction per chunk: bounded work per commit while catching up on days of data. */
const CHUNK_MS = 6 * 3600_000;
const MAX_MARKERS_PER_TX = 2_000;

export interface RollupRun {
  /** Another instance holds the job lock (or the marking lock timed out): nothing done. */
  skipped: boolean;
  rolledBefore: Date | null;
  rerolled: number;
}

const floorMinute = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/**
 * Maintains the per-minute rollup that long trends read (HistoryRepository.minuteBuckets): every
 * `ROLLUP_INTERVAL_MS` it rolls up the minutes closed since the last run, re-rolls the minutes that late
 * or backfilled rows touched (marked dirty by a trigger in the inserting transaction), and applies the
 * telemetry retention. One instance at a time (advisory lock); every write is an idempotent upsert.
 */
@Injectable()
export class RollupService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RollupService.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RollupRun> | null = null;
  private stopping = false;

  constructor(
    private readonly repo: RollupRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.history.rollupIntervalMs;
    if (every <= 0) return;
    // Not awaited: a first catch-up over days of data must not hold the start.
    const tick = (): void => void this.runOnce().catch((err: unknown) => this.logger.error(`Rollup failed: ${String(err)}`));
    tick();
    this.timer = setInterval(tick, every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass (concurrent calls share it); `now` is for tests. */
  runOnce(now = Date.now()): Promise<RollupRun> {
    this.running ??= this.run(now).finally(() => (this.running = null));
    return this.running;
  }

  private async run(now: number): Promise<RollupRun> {
    const qr = await this.repo.tryLock();
    if (!qr) return { skipped: true, rolledBefore: null, rerolled: 0 };
    try {
      const target = new Date(floorMinute(now - GRACE_MS));
      let state: RollupState;
      try {
        state = await this.repo.raiseMark(qr, target);
      } catch (err) {
        // lock_timeout: an insert held the marking lock for seconds; the next run tries again.
        if ((err as { code?: string }).code === '55P03') return { skipped: true, rolledBefore: null, rerolled: 0 };
        throw err;
      }
      // Start where the last run stopped; a first run starts at the oldest reading (read after the mark
      // was raised, so every row that did not mark itself is in this snapshot).
      let rolled = state.rolledBefore?.getTime() ?? floorMinute((await this.repo.firstReading(qr))?.getTime() ?? target.getTime());
      const started = rolled;
      // A first run records where it started even with nothing to roll (then it need not look again).
      if (state.rolledBefore === null || rolled < target.getTime()) {
        do {
          const hi = Math.min(rolled + CHUNK_MS, target.getTime());
          await this.repo.rollRange(qr, new Date(rolled), new Date(hi));
          rolled = hi;
        } while (rolled < target.getTime() && !this.stopping);
      }
      if (target.getTime() - started > CHUNK_MS) this.logger.log(`Rolled up ${((rolled - started) / DAY_MS).toFixed(1)} day(s) of telemetry`);
      let rerolled = 0;
      for (let more = true; more && !this.stopping; ) {
        const r = await this.repo.rerollDirty(qr, new Date(rolled), MAX_MARKERS_PER_TX);
        rerolled += r.rerolled;
        more = r.more;
      }
      await this.applyRetention(qr, now);
      return { skipped: false, rolledBefore: new Date(rolled), rerolled };
    } finally {
      await this.repo.unlock(qr);
    }
  }

  /** Follows TELEMETRY_RETENTION_DAYS with the partitions' cutoff (whole UTC days). */
  private async applyRetention(qr: QueryRunner, now: number): Promise<void> {
    const days = this.config.ingest.retentionDays;
    if (days <= 0) return;
    const cutoff = new Date(Math.floor((now - days * DAY_MS) / DAY_MS) * DAY_MS);
    const n = await this.repo.deleteBefore(qr, cutoff);
    if (n > 0) this.logger.log(`Retention ${days} d: dropped ${n} rollup row(s) before ${cutoff.toISOString()}`);
  }
}
