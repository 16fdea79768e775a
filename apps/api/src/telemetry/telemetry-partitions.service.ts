import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TelemetryPartitionsRepository } from './telemetry-partitions.repository';

const DAY_MS = 24 * 3600_000;
const MAINTENANCE_INTERVAL_MS = 3600_000;

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Keeps the telemetry partitions ahead of the clock (yesterday to `partitionsAheadDays` ahead, so rows
 * never land in the default partition in normal operation) and applies the retention
 * (`TELEMETRY_RETENTION_DAYS`) by dropping whole day partitions: at start and every hour.
 */
@Injectable()
export class TelemetryPartitionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TelemetryPartitionsService.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly repo: TelemetryPartitionsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.maintain();
    this.timer = setInterval(() => void this.maintain().catch((err: unknown) => this.logger.error(`Partition maintenance failed: ${String(err)}`)), MAINTENANCE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One maintenance pass; `now` is for tests. */
  maintain(now = Date.now()): Promise<void> {
    this.running ??= this.run(now).finally(() => (this.running = null));
    return this.running;
  }

  private async run(now: number): Promise<void> {
    const storage = await this.repo.storage();
    const retentionDays = this.config.ingest.retentionDays;
    // Partitions hold whole UTC days: a day goes when all of it is older than the retention.
    const cutoff = retentionDays > 0 ? new Date(Date.parse(utcDay(now - retentionDays * DAY_MS))) : null;
    if (storage === 'hypertable') {
      if (cutoff) await this.repo.dropChunks(cutoff);
      return;
    }
    if (storage !== 'partitioned') return;
    const days: string[] = [];
    for (let d = -1; d <= this.config.ingest.partitionsAheadDays; d++) days.push(utcDay(now + d * DAY_MS));
    const created = await this.repo.ensureDays(days);
    if (created > 0) this.logger.log(`Created ${created} telemetry partition(s) up to ${days[days.length - 1]}`);
    if (!cutoff) return;
    const cutoffDay = utcDay(cutoff.getTime());
    const old = (await this.repo.dayPartitions()).filter((p) => p.day < cutoffDay);
    for (const p of old) await this.repo.dropPartition(p.name);
    const purged = await this.repo.purgeDefault(cutoff);
    if (old.length > 0 || purged > 0) {
      this.logger.log(`Retention ${retentionDays} d: dropped ${old.length} partition(s) before ${cutoffDay}, ${purged} stray row(s)`);
    }
  }
}
