import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/api/src/database/data-source-options';
import { HistoryRepository } from '../../apps/api/src/history/history.repository';
import { HistoryService } from '../../apps/api/src/history/history.service';
import type { LinesService } from '../../apps/api/src/lines/lines.service';
import { createTestDatabase } from '../support/database';

const T0 = Date.parse('2026-11-24T08:00:00Z');

describe(HistoryService.name, () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let history: HistoryService;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = new DataSource(dataSourceOptions(db.url));
    await ds.initialize();
    // One hour of line 1 at 10 Hz: diameter cycles 20.0 .. 20.9, zone 2 = 200 + minute of the hour.
    await ds.query(
      `INSERT INTO telemetry (line_id, time, diameter, body_temperatures, received_at)
       SELECT '1', $1::timestamptz + i * INTERVAL '100 milliseconds', 20 + (i % 10) / 10.0,
              ARRAY[180, 200 + i / 600, 220]::real[], now()
       FROM generate_series(0, 35999) AS i`,
      [new Date(T0)],
    );
    // The registry only has to know the line and its zones here (the HTTP path is covered end to end).
    const lines = { get: (id: string) => (id === '1' ? { zone_count: 3 } : null) } as unknown as LinesService;
    history = new HistoryService(new HistoryRepository(ds), lines);
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const iso = (ms: number): string => new Date(ms).toISOString();

  it('returns raw readings when the range holds no more than max_points', async () => {
    const r = await history.history('1', { metric: 'diameter', from: iso(T0), to: iso(T0 + 10_000), max_points: 100 });
    expect(r.resolution).toBe('raw');
    expect(r.bucket_ms).toBeNull();
    expect(r.points).toHaveLength(100);
    expect(r.points[3]).toEqual({ time: iso(T0 + 300), min: 20.3, max: 20.3, avg: 20.3, count: 1 });
  });

  it('buckets into at most max_points with min, max and avg', async () => {
    const r = await history.history('1', { metric: 'diameter', from: iso(T0), to: iso(T0 + 3600_000), max_points: 60 });
    expect(r.resolution).toBe('bucketed');
    expect(r.bucket_ms).toBe(60_000);
    expect(r.points).toHaveLength(60);
    for (const p of r.points) {
      expect(p.count).toBe(600);
      expect(p.min).toBeCloseTo(20, 6);
      expect(p.max).toBeCloseTo(20.9, 6);
      expect(p.avg).toBeCloseTo(20.45, 6);
    }
  });

  it('never returns more buckets than max_points, whatever the range', async () => {
    const r = await history.history('1', { metric: 'zone_2', from: iso(T0 - 7 * 24 * 3600_000), to: iso(T0 + 3600_000), max_points: 7 });
    expect(r.points.length).toBeLessThanOrEqual(7);
    expect(r.points.reduce((n, p) => n + p.count, 0)).toBe(36_000);
  });

  it('reads a zone as body_temperatures[n]', async () => {
    const r = await history.history('1', { metric: 'zone_2', from: iso(T0 + 120_000), to: iso(T0 + 180_000), max_points: 1 });
    expect(r.points).toEqual([{ time: iso(T0 + 120_000), min: 202, max: 202, avg: 202, count: 600 }]);
  });

  it('exports every row in the range as CSV, page after page, in order', async () => {
    const csv = history.export('1', { from: iso(T0), to: iso(T0 + 1500_000), tz: 'UTC' });
    let text = '';
    for await (const chunk of csv.chunks) text += chunk;
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('time,line_id,diameter,line_speed,melt_pressure,screw_speed,zone_1,zone_2,zone_3,backfill');
    expect(lines).toHaveLength(15_001); // header + 25 min at 10 Hz: more than one page
    expect(lines[1]).toBe('2026-11-24T08:00:00.000+00:00,1,20,,,,180,200,220,false');
    expect(lines[15_000].startsWith('2026-11-24T08:24:59.900+00:00,')).toBe(true);
    const times = lines.slice(1).map((l) => l.slice(0, 29));
    expect(new Set(times).size).toBe(15_000);
    expect(csv.filename).toBe('line-1-20261124T080000-20261124T082500.csv');
  });
});
