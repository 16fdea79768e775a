import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { metricExpression } from './history-metrics';

export interface RawPoint {
  time: Date;
  value: number;
}

export interface BucketRow {
  bucket: Date;
  min: number;
  max: number;
  avg: number;
  count: number;
}

/** One export row, formatted by PostgreSQL except the time (its zone offset is ours to write). */
export interface ExportRow {
  /** Epoch milliseconds. */
  ms: number;
  /** `diameter,line_speed,melt_pressure,screw_speed` as CSV fields (empty when missing). */
  scalars: string;
  /** Zones 1..n as CSV fields, possibly fewer than n; empty when none. */
  zones: string;
  backfill: boolean;
}

/** Reads of stored telemetry: trends and exports. Every query is a range scan of (line_id, time). */
@Injectable()
export class HistoryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Up to `limit` readings of one metric in [from, to), oldest first. */
  async raw(lineId: string, metric: string, from: Date, to: Date, limit: number): Promise<RawPoint[]> {
    const expr = metricExpression(metric);
    const rows = await this.db.query<RawPoint[]>(
      `SELECT time, ${expr}::float8 AS value FROM telemetry
       WHERE line_id = $1 AND time >= $2 AND time < $3 AND ${expr} IS NOT NULL
       ORDER BY time LIMIT $4`,
      [lineId, from, to, limit],
    );
    return rows;
  }

  /** min, max, avg and count per bucket of `bucketMs`, buckets aligned on `from`. */
  async buckets(lineId: string, metric: string, from: Date, to: Date, bucketMs: number): Promise<BucketRow[]> {
    const expr = metricExpression(metric);
    const rows = await this.db.query<BucketRow[]>(
      `SELECT date_bin($4::interval, time, $2::timestamptz) AS bucket,
              min(v) AS min, max(v) AS max, avg(v) AS avg, count(*)::int AS count
       FROM (SELECT time, ${expr}::float8 AS v FROM telemetry WHERE line_id = $1 AND time >= $2 AND time < $3) s
       WHERE v IS NOT NULL
       GROUP BY 1 ORDER BY 1`,
      [lineId, from, to, `${bucketMs} milliseconds`],
    );
    return rows;
  }

  /** Where the per-minute rollup ends (every minute before it is rolled up, bar dirty ones); null: nothing yet. */
  async rolledBefore(): Promise<Date | null> {
    const [r] = await this.db.query<{ rolled_before: Date | null }[]>(`SELECT rolled_before FROM telemetry_rollup_state`);
    return r?.rolled_before ?? null;
  }

  /**
   * The same answer as `buckets` over raw rows with buckets of whole minutes aligned on `origin` (a
   * minute), min and max exactly, avg as the count-weighted mean. Whole minutes in [headEnd, rolledEnd)
   * come from the rollup, except minutes marked dirty (late rows not re-rolled yet); the partial first
   * minute [from, headEnd), the part the rollup does not cover yet [rolledEnd, to) and dirty minutes come
   * from raw rows. One statement, so rollup, markers and raw rows are read in one snapshot.
   */
  async minuteBuckets(
    lineId: string,
    metric: string,
    span: { from: Date; headEnd: Date; rolledEnd: Date; to: Date },
    bucketMs: number,
    origin: Date,
  ): Promise<BucketRow[]> {
    const expr = metricExpression(metric);
    const raw = (range: string): string => `SELECT t.time, (${expr})::float8 AS v FROM telemetry t WHERE t.line_id = $1 AND ${range}`;
    return await this.db.query<BucketRow[]>(
      `WITH dirty AS MATERIALIZED (
         SELECT DISTINCT minute FROM telemetry_rollup_dirty WHERE line_id = $1 AND minute >= $3 AND minute < $4
       ),
       parts AS (
         SELECT r.minute AS time, r.min, r.max, r.sum, r.count FROM telemetry_rollup r
         WHERE r.line_id = $1 AND r.metric = $6 AND r.minute >= $3 AND r.minute < $4
           AND NOT EXISTS (SELECT 1 FROM dirty WHERE dirty.minute = r.minute)
         UNION ALL
         SELECT time, v, v, v, 1 FROM (
           ${raw('t.time >= $2 AND t.time < $3')}
           UNION ALL ${raw('t.time >= $4 AND t.time < $5')}
           UNION ALL SELECT t.time, (${expr})::float8 FROM dirty
             JOIN telemetry t ON t.line_id = $1 AND t.time >= dirty.minute AND t.time < dirty.minute + INTERVAL '1 minute'
         ) s WHERE v IS NOT NULL
       )
       SELECT date_bin($7::interval, time, $8::timestamptz) AS bucket,
              min(min) AS min, max(max) AS max, sum(sum) / sum(count) AS avg, sum(count)::int AS count
       FROM parts GROUP BY 1 ORDER BY 1`,
      [lineId, span.from, span.headEnd, span.rolledEnd, span.to, metric, `${bucketMs} milliseconds`, origin],
    );
  }

  /**
   * One page of an export: rows after `after` (keyset pagination on the primary key), so a large export
   * is read page by page without holding a connection or a transaction for the whole download.
   */
  async exportPage(lineId: string, after: Date, inclusive: boolean, to: Date, limit: number, zones: number): Promise<ExportRow[]> {
    // Numbers go out as PostgreSQL's shortest exact text: parsing them into JS numbers only to print them
    // again was most of the export's cost.
    return await this.db.query<ExportRow[]>(
      `SELECT (extract(epoch FROM time) * 1000)::float8 AS ms,
              coalesce(diameter::text, '') || ',' || coalesce(line_speed::text, '') || ',' ||
                coalesce(melt_pressure::text, '') || ',' || coalesce(screw_speed::text, '') AS scalars,
              coalesce(array_to_string(body_temperatures[1:$5], ',', ''), '') AS zones,
              backfill
       FROM telemetry WHERE line_id = $1 AND time ${inclusive ? '>=' : '>'} $2 AND time < $3
       ORDER BY time LIMIT $4`,
      [lineId, after, to, limit, zones],
    );
  }
}
