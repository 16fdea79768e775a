import { expect } from '@jest/globals';
import type { HistoryResponse } from '../../apps/api/src/history/dto/history.dto';

const MINUTE_MS = 60_000;

export type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;

interface RefRow {
  bucket: Date;
  min: number;
  max: number;
  avg: number;
  count: number;
}

/**
 * Asserts that a bucketed trend is what date_bin over raw rows gives with the answer's own buckets (whole
 * minutes from the minute of `from`, the first labelled `from`): min, max and count exactly, avg within
 * float tolerance. `expr` is the metric's column expression.
 */
export async function expectSameAsRaw(query: Query, r: HistoryResponse, expr: string): Promise<void> {
  const from = Date.parse(r.from);
  const ref = await query<RefRow>(
    `SELECT date_bin($4::interval, time, $5::timestamptz) AS bucket, min(v) AS min, max(v) AS max, avg(v) AS avg, count(*)::int AS count
     FROM (SELECT time, (${expr})::float8 AS v FROM telemetry WHERE line_id = $1 AND time >= $2 AND time < $3) s
     WHERE v IS NOT NULL GROUP BY 1 ORDER BY 1`,
    [r.line_id, new Date(from), new Date(Date.parse(r.to)), `${r.bucket_ms} milliseconds`, new Date(Math.floor(from / MINUTE_MS) * MINUTE_MS)],
  );
  expect(r.resolution).toBe('bucketed');
  expect(r.bucket_ms! % MINUTE_MS).toBe(0);
  expect(r.points.map((p) => p.time)).toEqual(ref.map((b) => new Date(Math.max(b.bucket.getTime(), from)).toISOString()));
  expect(r.points.map((p) => [p.min, p.max, p.count])).toEqual(ref.map((b) => [b.min, b.max, b.count]));
  r.points.forEach((p, i) => expect(Math.abs(p.avg - ref[i].avg)).toBeLessThanOrEqual(1e-9 * Math.abs(ref[i].avg)));
}
