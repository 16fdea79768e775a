import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { LineState, LineStatusData, ProductionData } from '@lm/protocol';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DEMO_LINES } from './demo-lines';
import type { LineEntity } from './line.entity';
import { LinesRepository } from './lines.repository';

export interface LatestReading extends ProductionData {
  timestamp: string;
}

/** An alarm limit as shown with a line (the rules themselves live in the alarms feature). */
export interface LineLimit {
  metric: string;
  limit_kind: string;
  limit: number;
  severity: string;
}

export interface LineView {
  id: string;
  name: string;
  diameter_target: number | null;
  zone_count: number;
  enabled: boolean;
  state: LineState | null;
  state_since: string | null;
  latest: LatestReading | null;
  limits: LineLimit[];
}

/** The line registry (cached: ingest asks it once per message) and each line's live state. */
@Injectable()
export class LinesService implements OnApplicationBootstrap {
  private readonly logger = new Logger(LinesService.name);
  private registry = new Map<string, LineEntity>();
  private readonly latest = new Map<string, LatestReading>();
  private readonly status = new Map<string, LineStatusData>();
  private limitsOf: (lineId: string) => LineLimit[] = () => [];

  constructor(
    private readonly repo: LinesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.demo && (await this.repo.count()) === 0) {
      await this.repo.insertMissing(DEMO_LINES);
      this.logger.log(`Demo seed: registered lines ${DEMO_LINES.map((l) => l.id).join(', ')}`);
    }
    await this.reload();
  }

  async reload(): Promise<void> {
    this.registry = new Map((await this.repo.findAll()).map((l) => [l.id, l]));
  }

  isRegistered(lineId: string): boolean {
    const line = this.registry.get(lineId);
    return line !== undefined && line.enabled;
  }

  /** The alarms feature tells lines what their limits are. */
  provideLimits(fn: (lineId: string) => LineLimit[]): void {
    this.limitsOf = fn;
  }

  recordLatest(reading: LatestReading): void {
    const prev = this.latest.get(reading.production_line_id);
    if (!prev || prev.timestamp <= reading.timestamp) this.latest.set(reading.production_line_id, reading);
  }

  /** Returns the new status, or null when the state did not change. */
  recordStatus(lineId: string, state: LineState, at: Date): LineStatusData | null {
    const prev = this.status.get(lineId);
    if (prev?.state === state) return null;
    const next = { production_line_id: lineId, state, since: at.toISOString() };
    this.status.set(lineId, next);
    return next;
  }

  latestReadings(lineIds?: string[]): LatestReading[] {
    const all = [...this.latest.values()];
    return lineIds ? all.filter((r) => lineIds.includes(r.production_line_id)) : all;
  }

  statuses(): LineStatusData[] {
    return [...this.status.values()];
  }

  list(): LineView[] {
    return [...this.registry.values()].map((l) => this.view(l));
  }

  get(id: string): LineView | null {
    const line = this.registry.get(id);
    return line ? this.view(line) : null;
  }

  private view(l: LineEntity): LineView {
    const st = this.status.get(l.id);
    return {
      id: l.id,
      name: l.name,
      diameter_target: l.diameterTarget,
      zone_count: l.zoneCount,
      enabled: l.enabled,
      state: st?.state ?? null,
      state_since: st?.since ?? null,
      latest: this.latest.get(l.id) ?? null,
      limits: this.limitsOf(l.id),
    };
  }
}
