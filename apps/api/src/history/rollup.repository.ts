import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { HISTORY_METRICS, metricExpression } from './history-metrics';

/** Advisory lock keys (hashtext of these names): the job (one instance at a time) and the marking line. */
const JOB_LOCK = 'lm_telemetry_rollup_job';
const MARK_LOCK = 'lm_telemetry_rollup_mark';
const MINUTE = `date_bin('1 minute', t.time, TIMESTAMPTZ '1970-01-01Z')`;

// One pass over the rows computes every metric's min/max/sum/count per (line, minute); the VALUES list
// then turns the wide row into one rollup row per metric that has readings.
const AGGREGATES = HISTORY_METRICS.map((m, i) => {
  const v = `(${metricExpression(m)})::float8`;
  return `min(${v}) AS mn${i}, max(${v}) AS mx${i}, sum(${v}) AS s${i}, count(${v})::int AS c${i}`;
}).join(',\n');
const UNPIVOT = HISTORY_METRICS.map((m, i) => `('${m}', a.mn${i}, a.mx${i}, a.s${i}, a.c${i})`).join(',\n');

/** `source` yields telemetry rows as `t`; the whole statement upserts their minutes. */
const rollSql = (source: string): string => `
  INSERT INTO telemetry_rollup (line_id, metric, minute, min, max, sum, count)
  SELECT a.line_id, m.metric, a.minute, m.min, m.max, m.sum, m.count
  FROM (SELECT t.line_id, ${MINUTE} AS minute, ${AGGREGATES} FROM ${source} GROUP BY 1, 2) a
  CROSS JOIN LATERAL (VALUES ${UNPIVOT}) AS m(metric, min, max, sum, count)
  WHERE m.count > 0
  ON CONFLICT (line_id, metric, minute) DO UPDATE
    SET min = EXCLUDED.min, max = EXCLUDED.max, sum = EXCLUDED.sum, count = EXCLUDED.count`;

// Per registered line (or dirty minute), so each is a range scan of the (line_id, time) key. OFFSET 0
// keeps the planner from flattening the lateral subquery into a join, which it then planned as a sort of
// every partition (minutes instead of a second for 200 dirty minutes of 30 days).
const ROLL_RANGE = rollSql(`lines l JOIN LATERAL (SELECT * FROM telemetry WHERE line_id = l.id AND time >= $1 AND time < $2 OFFSET 0) t ON true`);
const ROLL_MINUTES = rollSql(
  `unnest($1::text[], $2::timestamptz[]) AS d(line_id, minute)
   JOIN LATERAL (SELECT * FROM telemetry WHERE line_id = d.line_id AND time >= d.minute AND time < d.minute + INTERVAL '1 minute' OFFSET 0) t ON true`,
);

export interface RollupState {
  markBefore: Date | null;
  rolledBefore: Date | null;
}

/**
 * The per-minute rollup's writes (migration 1764400000000). Every method but `tryLock` runs on the one
 * connection the job holds, so the session advisory lock covers the whole run.
 */
@Injectable()
export class RollupRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A dedicated connection holding the job lock, or null when another instance is running the job. */
  async tryLock(): Promise<QueryRunner | null> {
    const qr = this.db.createQueryRunner();
    await qr.connect();
    const [r] = (await qr.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS ok`, [JOB_LOCK])) as { ok: boolean }[];
    if (r?.ok) return qr;
    await qr.release();
    return null;
  }

  async unlock(qr: QueryRunner): Promise<void> {
    try {
      await qr.query(`SELECT pg_advisory_unlock(hashtext($1))`, [JOB_LOCK]);
    } finally {
      await qr.release();
    }
  }

  /**
   * Raises the marking line to `to`: from its commit on, inserts of rows older than `to` mark their minutes
   * dirty. Taken exclusively against the inserts' shared lock, so every insert that read the old line has
   * committed before this returns (the job's next snapshot sees its rows).
   */
  async raiseMark(qr: QueryRunner, to: Date): Promise<RollupState> {
    return await this.tx(qr, 'READ COMMITTED', async () => {
      // A long-running insert must not stall ingest behind this lock: give up and retry next run.
      await qr.query(`SET LOCAL lock_timeout = '5s'`);
      await qr.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [MARK_LOCK]);
      // UPDATE and DELETE answer [rows, count] through TypeORM.
      const [[row]] = (await qr.query(
        `UPDATE telemetry_rollup_state SET mark_before = GREATEST(coalesce(mark_before, '-infinity'), $1)
         RETURNING mark_before, rolled_before`,
        [to],
      )) as [{ mark_before: Date | null; rolled_before: Date | null }[], number];
      return { markBefore: row.mark_before, rolledBefore: row.rolled_before };
    });
  }

  /** The earliest stored reading of a registered line (where a first run starts), or null. */
  async firstReading(qr: QueryRunner): Promise<Date | null> {
    const [r] = (await qr.query(
      `SELECT min(f) AS first FROM lines l CROSS JOIN LATERAL (SELECT min(time) AS f FROM telemetry WHERE line_id = l.id) m`,
    )) as { first: Date | null }[];
    return r?.first ?? null;
  }

  /** Rolls up [from, to) (whole minutes) for every line and moves `rolled_before` to `to`, atomically. */
  async rollRange(qr: QueryRunner, from: Date, to: Date): Promise<void> {
    await this.tx(qr, 'READ COMMITTED', async () => {
      if (from < to) await qr.query(ROLL_RANGE, [from, to]);
      await qr.query(`UPDATE telemetry_rollup_state SET rolled_before = $1`, [to]);
    });
  }

  /**
   * Takes the dirty markers (late and backfilled rows) and re-rolls their minutes before `rolledBefore`,
   * in one snapshot: the markers deleted are exactly those whose rows the re-roll sees; a marker committed
   * meanwhile stays for the next run. Returns how many (line, minute) pairs were re-rolled.
   */
  async rerollDirty(qr: QueryRunner, rolledBefore: Date, maxMarkers: number): Promise<{ rerolled: number; more: boolean }> {
    return await this.tx(qr, 'REPEATABLE READ', async () => {
      const [markers] = (await qr.query(
        `DELETE FROM telemetry_rollup_dirty WHERE ctid IN (SELECT ctid FROM telemetry_rollup_dirty LIMIT $1)
         RETURNING line_id, (extract(epoch FROM minute) * 1000)::float8 AS ms`,
        [maxMarkers],
      )) as [{ line_id: string; ms: number }[], number];
      // Minutes from rolled_before on are rolled by the range pass anyway (their rows are committed).
      const pairs = new Map<string, { line: string; ms: number }>();
      for (const m of markers) if (m.ms < rolledBefore.getTime()) pairs.set(`${m.line_id}\u0000${m.ms}`, { line: m.line_id, ms: m.ms });
      const list = [...pairs.values()];
      if (list.length > 0) await qr.query(ROLL_MINUTES, [list.map((p) => p.line), list.map((p) => new Date(p.ms))]);
      return { rerolled: list.length, more: markers.length === maxMarkers };
    });
  }

  /** Retention: rollup minutes before `before` go, as the telemetry partitions of those days do. */
  async deleteBefore(qr: QueryRunner, before: Date): Promise<number> {
    const res = (await qr.query(`DELETE FROM telemetry_rollup WHERE minute < $1`, [before])) as [unknown, number];
    return res[1] ?? 0;
  }

  private async tx<T>(qr: QueryRunner, level: 'READ COMMITTED' | 'REPEATABLE READ', work: () => Promise<T>): Promise<T> {
    await qr.startTransaction(level);
    try {
      const out = await work();
      await qr.commitTransaction();
      return out;
    } catch (err) {
      await qr.rollbackTransaction();
      throw err;
    }
  }
}
