import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { formatIssues, isLineState, parseTelemetry, parseTopic, type ProductionData, type TelemetryReading } from '@lm/protocol';
import { AlarmsService } from '../alarms/alarms.service';
import { ClusterService } from '../cluster/cluster.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LinesService } from '../lines/lines.service';
import { RealtimeService } from '../realtime/realtime.service';
import type { AckStats } from '../broker/ack-after-commit-mqtt.server';
import { BatchWriter } from './batch-writer';
import { DeadLettersRepository, type NewDeadLetter } from './dead-letters.repository';
import { type InsertedRows, TelemetryRepository, rowKey, type TelemetryRow } from './telemetry.repository';

const MAX_DEAD_LETTER_PAYLOAD = 4096;
const SHUTDOWN_FLUSH_MS = 10_000;
const DEAD_LETTER_LOG_INTERVAL_MS = 10_000;
const WRITE_ERROR_LOG_INTERVAL_MS = 10_000;

export interface IngestStats {
  received: number;
  stored: number;
  duplicates: number;
  dead_lettered: number;
  /** Failed write attempts (each retried: a database outage pauses ingest, it loses nothing). */
  write_errors: number;
  /** Rows waiting for the database. */
  queued: number;
  /** True while writes fail and are being retried. */
  database_stalled: boolean;
  /** MQTT messages received and not yet acknowledged to the broker; when it reaches the cap, reading pauses. */
  in_flight: number;
  in_flight_bytes: number;
  paused: boolean;
  acked: number;
  /** Left unacknowledged on purpose at shutdown (not written): the broker delivers them again. */
  left_for_redelivery: number;
}

/** Ingest: validate -> batch into PostgreSQL -> broadcast what was committed. Bad input is dead-lettered. */
@Injectable()
export class TelemetryService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(TelemetryService.name);
  private readonly writer: BatchWriter<TelemetryRow, InsertedRows>;
  private readonly deadLetterWriter: BatchWriter<NewDeadLetter, void>;
  private readonly stats = { received: 0, stored: 0, duplicates: 0, dead_lettered: 0, write_errors: 0 };
  private deadLetterLog = { lastAt: 0, suppressed: 0 };
  private writeErrorLogAt = 0;
  private transportStats: () => AckStats | null = () => null;

  constructor(
    private readonly repo: TelemetryRepository,
    private readonly deadLetters: DeadLettersRepository,
    private readonly lines: LinesService,
    private readonly realtime: RealtimeService,
    private readonly alarms: AlarmsService,
    private readonly cluster: ClusterService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Telemetry another instance committed: the same live path, without storing or fanning it out again.
    cluster.onPeerProductionData((data, timestamp) => this.applyLive(data, timestamp, false));
    // Failed writes are retried, never rejected: the MQTT message stays unacknowledged meanwhile.
    const retry = { minDelayMs: 100, maxDelayMs: 5000, onError: (err: unknown) => this.writeFailed(err) };
    this.writer = new BatchWriter((rows) => this.repo.insertBatch(rows), {
      flushMs: config.ingest.flushIntervalMs,
      maxBatch: config.ingest.maxBatchRows,
      // The next batch is built and sent while PostgreSQL commits the previous one (bench/README.md).
      concurrency: config.ingest.writeConcurrency,
      retry,
    });
    this.deadLetterWriter = new BatchWriter((letters) => this.deadLetters.insertMany(letters), {
      flushMs: config.ingest.flushIntervalMs,
      maxBatch: 500,
      retry,
    });
  }

  /**
   * Runs before Nest closes the transports and the database: writes what is queued (bounded, in case
   * the database is down), then refuses the rest, which stays unacknowledged at the broker.
   */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS)));
    await Promise.race([Promise.all([this.writer.flush(), this.deadLetterWriter.flush()]), limit]);
    clearTimeout(timer);
    this.writer.close();
    this.deadLetterWriter.close();
  }

  /** The transport reports its acknowledgement state here (bootstrap wires it). */
  attachTransportStats(stats: () => AckStats): void {
    this.transportStats = stats;
  }

  ingestStats(): IngestStats {
    const t = this.transportStats();
    return {
      ...this.stats,
      queued: this.writer.queued + this.deadLetterWriter.queued,
      database_stalled: this.writer.stalled || this.deadLetterWriter.stalled,
      in_flight: t?.in_flight ?? 0,
      in_flight_bytes: t?.in_flight_bytes ?? 0,
      paused: t?.paused ?? false,
      acked: t?.acked ?? 0,
      left_for_redelivery: t?.left_for_redelivery ?? 0,
    };
  }

  /**
   * One telemetry message. `value` is the payload as decoded by the transport (a string when it was not
   * JSON), `raw` the bytes as received (kept in dead letters).
   */
  async ingestTelemetry(topic: string, value: unknown, raw: Buffer, receivedAt = new Date()): Promise<void> {
    this.stats.received++;
    const parsed = parseTopic(topic);
    if (!parsed) return this.deadLetter(topic, raw, 'topic is not plant/lines/{line_id}/telemetry', receivedAt);
    const lineId = parsed.lineId;
    if (!this.lines.isRegistered(lineId)) return this.deadLetter(topic, raw, `unknown line "${lineId}"`, receivedAt);
    if (typeof value === 'string') return this.deadLetter(topic, raw, 'payload is not a JSON object', receivedAt);
    const result = parseTelemetry(value, receivedAt.getTime());
    if (!result.ok) return this.deadLetter(topic, raw, formatIssues(result.issues), receivedAt);

    const backfill = result.backfill;
    // A literal, not `{...r, lineId, ...}`: the spread was a measurable share of ingest CPU per row.
    const rows: TelemetryRow[] = result.readings.map((r) => ({
      time: r.time,
      body_temperatures: r.body_temperatures,
      diameter: r.diameter,
      line_speed: r.line_speed,
      melt_pressure: r.melt_pressure,
      screw_speed: r.screw_speed,
      msg_id: r.msg_id,
      lineId,
      backfill,
      receivedAt,
    }));
    // One awaitable per message: its rows go into the same batch.
    const inserted = await this.writer.addAll(rows);
    for (const row of rows) {
      // The batch's set of inserted keys is shared by its rows: the first row with a key claims it, so
      // a duplicate that arrived within the same batch is not broadcast twice. 'all': nothing was skipped.
      if (inserted !== 'all' && !inserted.delete(rowKey(row.lineId, row.time))) {
        this.stats.duplicates++;
        continue;
      }
      this.stats.stored++;
      // Backfill is history, not the live picture.
      if (!row.backfill) this.publishLive(row);
    }
  }

  /** `plant/lines/{id}/status` `{state}` (retained; the device's will says offline). */
  async ingestStatus(topic: string, value: unknown, raw: Buffer, receivedAt = new Date()): Promise<void> {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== 'status') return this.deadLetter(topic, raw, 'topic is not plant/lines/{line_id}/status', receivedAt);
    if (!this.lines.isRegistered(parsed.lineId)) return this.deadLetter(topic, raw, `unknown line "${parsed.lineId}"`, receivedAt);
    const state = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).state : undefined;
    if (!isLineState(state)) return this.deadLetter(topic, raw, 'state: must be running, stopped, fault or offline', receivedAt);
    const status = this.lines.recordStatus(parsed.lineId, state, receivedAt);
    if (!status) return;
    this.realtime.publish('line_status', status, parsed.lineId, status.since);
    // A stopped line suppresses its process alarms by design.
    this.alarms.onLineStatus(parsed.lineId, state);
  }

  private publishLive(row: TelemetryRow): void {
    const data: ProductionData = {
      production_line_id: row.lineId,
      body_temperatures: row.body_temperatures,
      diameter: row.diameter,
      line_speed: row.line_speed,
      melt_pressure: row.melt_pressure,
      screw_speed: row.screw_speed,
    };
    this.applyLive(data, row.time.toISOString(), true, row);
  }

  /**
   * A committed live reading, ours (`ours`: also to the other instances) or another instance's: the
   * latest values, the stream, and alarm evaluation (live rows only, after commit: backfill is history
   * and is never alarmed).
   */
  private applyLive(data: ProductionData, timestamp: string, ours: boolean, reading: TelemetryReading = toReading(data, timestamp)): void {
    const lineId = data.production_line_id;
    this.lines.recordLatest({ ...data, timestamp });
    if (ours) this.cluster.publish('production_data', data, lineId, timestamp);
    else this.realtime.publish('production_data', data, lineId, timestamp);
    this.alarms.evaluate(lineId, reading);
  }

  private async deadLetter(topic: string, raw: Buffer, reason: string, receivedAt: Date): Promise<void> {
    this.stats.dead_lettered++;
    // Logged at a limited rate: a device spewing garbage must not flood the log.
    const now = Date.now();
    if (now - this.deadLetterLog.lastAt >= DEAD_LETTER_LOG_INTERVAL_MS) {
      const more = this.deadLetterLog.suppressed ? ` (+${this.deadLetterLog.suppressed} more since the last report)` : '';
      this.logger.warn(`Dead letter on ${topic.slice(0, 200)}: ${reason.slice(0, 300)}${more}`);
      this.deadLetterLog = { lastAt: now, suppressed: 0 };
    } else this.deadLetterLog.suppressed++;
    // Acknowledged only once the dead letter is committed, like a good message.
    await this.deadLetterWriter.add({
      receivedAt,
      topic: topic.slice(0, 1024),
      // NUL is the one character PostgreSQL text cannot hold.
      payload: raw.subarray(0, MAX_DEAD_LETTER_PAYLOAD).toString('utf8').replaceAll('\u0000', '\uFFFD'),
      payloadSize: raw.length,
      reason: reason.slice(0, 2000),
    });
  }

  private writeFailed(err: unknown): void {
    this.stats.write_errors++;
    const now = Date.now();
    if (now - this.writeErrorLogAt < WRITE_ERROR_LOG_INTERVAL_MS) return;
    this.writeErrorLogAt = now;
    this.logger.error(`Database write failed, ingest paused and retrying: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function toReading(d: ProductionData, timestamp: string): TelemetryReading {
  return {
    time: new Date(timestamp),
    body_temperatures: d.body_temperatures,
    diameter: d.diameter,
    line_speed: d.line_speed,
    melt_pressure: d.melt_pressure,
    screw_speed: d.screw_speed,
    msg_id: null,
  };
}
