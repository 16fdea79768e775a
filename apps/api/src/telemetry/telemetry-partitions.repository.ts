import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export type TelemetryStorage = 'partitioned' | 'hypertable' | 'plain';

/** Partition maintenance of the telemetry table (migration 1764200000000). */
@Injectable()
export class TelemetryPartitionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async storage(): Promise<TelemetryStorage> {
    const [row] = await this.db.query<{ relkind: string; has_ts: boolean }[]>(`
      SELECT c.relkind,
             to_regclass('timescaledb_information.hypertables') IS NOT NULL AS has_ts
      FROM pg_class c WHERE c.oid = 'telemetry'::regclass`);
    if (row?.relkind === 'p') return 'partitioned';
    if (row?.has_ts) {
      const [ht] = await this.db.query<unknown[]>(`SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'telemetry'`);
      if (ht) return 'hypertable';
    }
    return 'plain';
  }

  /** Creates the partition of each UTC day (`YYYY-MM-DD`) that lacks one; returns how many were created. */
  async ensureDays(days: string[]): Promise<number> {
    let created = 0;
    for (const day of days) {
      const [r] = await this.db.query<{ created: boolean }[]>(`SELECT lm_telemetry_ensure_partition($1::date) AS created`, [day]);
      if (r?.created) created++;
    }
    return created;
  }

  /** Day partitions, oldest first, as `{name, day}`. */
  async dayPartitions(): Promise<{ name: string; day: string }[]> {
    const rows = await this.db.query<{ name: string }[]>(`
      SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'telemetry'::regclass AND c.relname ~ '^telemetry_p[0-9]{8}$'
      ORDER BY c.relname`);
    return rows.map((r) => ({ name: r.name, day: `${r.name.slice(11, 15)}-${r.name.slice(15, 17)}-${r.name.slice(17, 19)}` }));
  }

  async dropPartition(name: string): Promise<void> {
    if (!/^telemetry_p[0-9]{8}$/.test(name)) throw new Error(`not a telemetry day partition: ${name}`);
    await this.db.query(`DROP TABLE ${name}`);
  }

  /** Rows older than `before` left in the default partition (the safety net) go too. */
  async purgeDefault(before: Date): Promise<number> {
    const [, count] = await this.db.query<[unknown, number]>(`DELETE FROM telemetry_default WHERE time < $1`, [before]);
    return count ?? 0;
  }

  async dropChunks(before: Date): Promise<void> {
    await this.db.query(`SELECT drop_chunks('telemetry', older_than => $1::timestamptz)`, [before]);
  }
}
