import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TelemetryReading } from '@lm/protocol';
import type { DataSource } from 'typeorm';

export interface TelemetryRow extends TelemetryReading {
  lineId: string;
  backfill: boolean;
  receivedAt: Date;
}

const pgArray = (v: number[] | null): string | null => (v ? `{${v.join(',')}}` : null);
export const rowKey = (lineId: string, time: Date): string => `${lineId}\u0000${time.getTime()}`;

/** The only code that writes telemetry. One statement per batch, however many lines are in it. */
@Injectable()
export class TelemetryRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Inserts a batch in one round trip (columns as arrays through unnest) and returns the keys of
   * the rows actually inserted: a redelivered duplicate hits the primary key and is skipped.
   */
  async insertBatch(rows: TelemetryRow[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const inserted: { line_id: string; time: Date }[] = await this.db.query(
      `INSERT INTO telemetry (line_id, time, body_temperatures, diameter, line_speed, melt_pressure,
                              screw_speed, msg_id, backfill, received_at)
       SELECT line_id, time, bt::real[], diameter, line_speed, melt_pressure, screw_speed, msg_id, backfill, received_at
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::float8[], $5::real[], $6::real[],
                   $7::real[], $8::text[], $9::bool[], $10::timestamptz[])
            AS t(line_id, time, bt, diameter, line_speed, melt_pressure, screw_speed, msg_id, backfill, received_at)
       ON CONFLICT (line_id, time) DO NOTHING
       RETURNING line_id, time`,
      [
        rows.map((r) => r.lineId),
        rows.map((r) => r.time),
        rows.map((r) => pgArray(r.body_temperatures)),
        rows.map((r) => r.diameter),
        rows.map((r) => r.line_speed),
        rows.map((r) => r.melt_pressure),
        rows.map((r) => r.screw_speed),
        rows.map((r) => r.msg_id),
        rows.map((r) => r.backfill),
        rows.map((r) => r.receivedAt),
      ],
    );
    return new Set(inserted.map((r) => rowKey(r.line_id, r.time)));
  }
}
