import { Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { LinesService } from '../lines/lines.service';
import type { ExportQuery, HistoryQuery } from './dto/history-query';
import type { HistoryResponse } from './dto/history.dto';
import { HistoryRepository, type BucketRow, type ExportRow } from './history.repository';
import { ZonedTimeFormatter } from './zoned-time';

const DEFAULT_RANGE_MS = 3600_000;
const DEFAULT_MAX_POINTS = 1000;
const EXPORT_PAGE_ROWS = 5000;
const MINUTE_MS = 60_000;

const floorMinute = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

export interface CsvExport {
  filename: string;
  chunks: AsyncIterable<string>;
}

/** Trends (downsampled so that any range stays fast) and CSV exports of stored telemetry. */
@Injectable()
export class HistoryService {
  constructor(
    private readonly repo: HistoryRepository,
    private readonly lines: LinesService,
  ) {}

  async history(lineId: string, q: HistoryQuery): Promise<HistoryResponse> {
    this.requireLine(lineId);
    const { from, to } = range(q.from, q.to);
    const maxPoints = q.max_points ?? DEFAULT_MAX_POINTS;
    const base = { line_id: lineId, metric: q.metric, from: from.toISOString(), to: to.toISOString() };
    // Small ranges (no more readings than points asked for) come back raw: one query of at most
    // max_points + 1 rows tells which case this is.
    const raw = await this.repo.raw(lineId, q.metric, from, to, maxPoints + 1);
    if (raw.length <= maxPoints) {
      return {
        ...base,
        resolution: 'raw',
        bucket_ms: null,
        points: raw.map((r) => ({ time: r.time.toISOString(), min: r.value, max: r.value, avg: r.value, count: 1 })),
      };
    }
    const bucketMs = Math.max(1, Math.ceil((to.getTime() - from.getTime()) / maxPoints));
    const buckets =
      bucketMs >= MINUTE_MS ? await this.minuteBuckets(lineId, q.metric, from, to, maxPoints) : { bucketMs, rows: await this.repo.buckets(lineId, q.metric, from, to, bucketMs) };
    return {
      ...base,
      resolution: 'bucketed',
      bucket_ms: buckets.bucketMs,
      // The first bucket may start before `from` (buckets are aligned on minutes): it holds only readings
      // from `from` on, so it is labelled with `from`, and every point stays within the range asked for.
      points: buckets.rows.map((b) => ({ time: new Date(Math.max(b.bucket.getTime(), from.getTime())).toISOString(), min: b.min, max: b.max, avg: b.avg, count: b.count })),
    };
  }

  /**
   * Buckets of a minute or more are whole minutes on the UTC minute grid, so that the per-minute rollup
   * can answer them exactly; raw rows fill what it does not cover (the partial first and last minutes,
   * the minutes not rolled up yet, minutes with late rows not re-rolled yet).
   */
  private async minuteBuckets(lineId: string, metric: string, from: Date, to: Date, maxPoints: number): Promise<{ bucketMs: number; rows: BucketRow[] }> {
    const origin = floorMinute(from.getTime());
    const bucketMs = Math.ceil((to.getTime() - origin) / (maxPoints * MINUTE_MS)) * MINUTE_MS;
    const headEnd = Math.ceil(from.getTime() / MINUTE_MS) * MINUTE_MS;
    const rolled = (await this.repo.rolledBefore())?.getTime() ?? headEnd;
    const rolledEnd = Math.max(headEnd, Math.min(rolled, floorMinute(to.getTime())));
    const span = { from, headEnd: new Date(headEnd), rolledEnd: new Date(rolledEnd), to };
    return { bucketMs, rows: await this.repo.minuteBuckets(lineId, metric, span, bucketMs, new Date(origin)) };
  }

  /** Checks everything before the first byte is sent; the rows then stream page by page. */
  export(lineId: string, q: ExportQuery): CsvExport {
    const line = this.requireLine(lineId);
    const { from, to } = range(q.from, q.to);
    const fmt = new ZonedTimeFormatter(q.tz ?? 'UTC');
    const zones = line.zone_count;
    const stamp = (d: Date): string => d.toISOString().slice(0, 19).replace(/[-:]/g, '');
    return {
      filename: `line-${lineId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${stamp(from)}-${stamp(to)}.csv`,
      chunks: this.csvChunks(lineId, from, to, zones, fmt),
    };
  }

  private async *csvChunks(lineId: string, from: Date, to: Date, zones: number, fmt: ZonedTimeFormatter): AsyncGenerator<string> {
    const zoneCols = Array.from({ length: zones }, (_, i) => `zone_${i + 1}`);
    yield ['time', 'line_id', 'diameter', 'line_speed', 'melt_pressure', 'screw_speed', ...zoneCols, 'backfill'].join(',') + '\r\n';
    const id = csvField(lineId);
    let after = from;
    let first = true;
    for (;;) {
      const rows = await this.repo.exportPage(lineId, after, first, to, EXPORT_PAGE_ROWS, zones);
      first = false;
      if (rows.length === 0) return;
      yield rows.map((r) => csvRow(r, id, zones, fmt)).join('');
      if (rows.length < EXPORT_PAGE_ROWS) return;
      after = new Date(rows[rows.length - 1].ms);
    }
  }

  private requireLine(lineId: string): { zone_count: number } {
    const line = this.lines.get(lineId);
    if (!line) throw new NotFoundException(`Line ${lineId} not found`);
    return line;
  }
}

function csvRow(r: ExportRow, id: string, zones: number, fmt: ZonedTimeFormatter): string {
  // Rows with fewer zones than the line has get empty fields, so that every row has every column.
  let present = r.zones === '' ? 0 : 1;
  for (let i = r.zones.indexOf(','); i >= 0; i = r.zones.indexOf(',', i + 1)) present++;
  const zoneFields = zones === 0 ? '' : `,${r.zones}${','.repeat(Math.max(0, zones - Math.max(present, 1)))}`;
  return `${fmt.format(r.ms)},${id},${r.scalars}${zoneFields},${r.backfill}\r\n`;
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** from/to with their defaults (the last hour); 422 in FastAPI's shape when from is not before to. */
function range(fromRaw: string | undefined, toRaw: string | undefined): { from: Date; to: Date } {
  const to = toRaw ? new Date(toRaw) : new Date();
  const from = fromRaw ? new Date(fromRaw) : new Date(to.getTime() - DEFAULT_RANGE_MS);
  if (from.getTime() >= to.getTime()) {
    throw new UnprocessableEntityException({ detail: [{ loc: ['query', 'to'], msg: 'must be after from', type: 'value_error.range' }] });
  }
  return { from, to };
}
