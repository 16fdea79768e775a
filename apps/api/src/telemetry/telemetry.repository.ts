import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TelemetryReading } from '@lm/protocol';
import type { DataSource } from 'typeorm';

export interface TelemetryRow extends TelemetryReading {
  lineId: string;
  backfill: boolean;
  receivedAt: Date;
}

/** Key of a stored row, as `insertBatch` reports it: line id, then epoch milliseconds (digits only, last). */
export const rowKey = (lineId: string, time: Date): string => `${lineId}|${time.getTime()}`;

/** What a batch inserted: `'all'` (the usual case: no key is built), or the keys of the rows inserted. */
export type InsertedRows = 'all' | Set<string>;

// Array literals built here instead of by pg's generic per-element escaping (a measurable share of ingest
// CPU). Numbers need no quoting; a text element is quoted only if it could be misread.
const SAFE_TEXT = /^[A-Za-z0-9_.:-]+$/;
const textElement = (v: string | null): string =>
  v === null ? 'NULL' : SAFE_TEXT.test(v) && v.toLowerCase() !== 'null' ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const numElement = (v: number | null): string => (v === null ? 'NULL' : String(v));
function arrayLiteral<T>(rows: T[], element: (row: T) => string): string {
  let out = '{';
  for (let i = 0; i < rows.length; i++) out += (i ? ',' : '') + element(rows[i]);
  return out + '}';
}

/** The only code that writes telemetry. One statement per batch, however many lines are in it. */
@Injectable()
export class TelemetryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Inserts a batch in one round trip (columns as arrays through unnest) and tells which rows were
   * inserted: a redelivered duplicate hits the primary key and is skipped. Times travel as epoch
   * milliseconds (exact; cheaper than pg's formatting of each Date).
   * The usual batch has no duplicate: it goes in as a plain INSERT (ON CONFLICT and RETURNING cost
   * PostgreSQL about a fifth more per row, bench/README.md). Only when that hits the primary key is the
   * batch written again with ON CONFLICT DO NOTHING, and the keys inserted come back.
   */
  async insertBatch(rows: TelemetryRow[]): Promise<InsertedRows> {
    if (rows.length === 0) return 'all';
    const params = [
      arrayLiteral(rows, (r) => textElement(r.lineId)),
      arrayLiteral(rows, (r) => String(r.time.getTime())),
      // body_temperatures: each row's array as a quoted inner literal ("{1,2,3}"), cast per row.
      arrayLiteral(rows, (r) => (r.body_temperatures ? `"{${r.body_temperatures.join(',')}}"` : 'NULL')),
      arrayLiteral(rows, (r) => numElement(r.diameter)),
      arrayLiteral(rows, (r) => numElement(r.line_speed)),
      arrayLiteral(rows, (r) => numElement(r.melt_pressure)),
      arrayLiteral(rows, (r) => numElement(r.screw_speed)),
      arrayLiteral(rows, (r) => textElement(r.msg_id)),
      arrayLiteral(rows, (r) => (r.backfill ? 't' : 'f')),
      arrayLiteral(rows, (r) => String(r.receivedAt.getTime())),
    ];
    try {
      await this.db.query(INSERT_ROWS, params);
      return 'all';
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    const result: { keys: string[] | null }[] = await this.db.query(
      `WITH ins AS (${INSERT_ROWS} ON CONFLICT (line_id, time) DO NOTHING RETURNING line_id, time)
       SELECT CASE WHEN (SELECT count(*) FROM ins) = $11 THEN NULL
                   ELSE ARRAY(SELECT line_id || '|' || (extract(epoch FROM time) * 1000)::int8 FROM ins) END AS keys`,
      [...params, rows.length],
    );
    const keys = result[0]?.keys;
    return keys ? new Set(keys) : 'all';
  }
}

const INSERT_ROWS = `INSERT INTO telemetry (line_id, time, body_temperatures, diameter, line_speed, melt_pressure,
                            screw_speed, msg_id, backfill, received_at)
  SELECT line_id, timestamptz 'epoch' + time * interval '1 millisecond', bt::real[], diameter, line_speed,
         melt_pressure, screw_speed, msg_id, backfill, timestamptz 'epoch' + received_at * interval '1 millisecond'
  FROM unnest($1::text[], $2::float8[], $3::text[], $4::float8[], $5::real[], $6::real[],
              $7::real[], $8::text[], $9::bool[], $10::float8[])
       AS t(line_id, time, bt, diameter, line_speed, melt_pressure, screw_speed, msg_id, backfill, received_at)`;

/** PostgreSQL's unique_violation (TypeORM copies the driver's fields onto its QueryFailedError). */
const isUniqueViolation = (err: unknown): boolean => {
  const e = err as { code?: unknown; driverError?: { code?: unknown } } | null;
  return e?.code === '23505' || e?.driverError?.code === '23505';
};
