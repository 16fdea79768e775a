import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { startTestApi, type TestApi } from '../support/api';
import { connect } from '../support/database';

// Trends and CSV export over HTTP, against data stored in the api's real database.
describe('history and CSV export over HTTP', () => {
  let api: TestApi;
  let db: pg.Client;
  let auth: Record<string, string>;

  beforeAll(async () => {
    api = await startTestApi();
    db = await connect(api.databaseUrl);
    const res = await fetch(`${api.httpUrl}/api/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'operator', password: 'operator-demo' }),
    });
    expect(res.status).toBe(200);
    auth = { authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
    // Line 2 around the spring-forward change in Berlin (2026-03-29 01:00Z: 02:00 CET -> 03:00 CEST), 1 Hz.
    await db.query(
      `INSERT INTO telemetry (line_id, time, diameter, body_temperatures, received_at)
       SELECT '2', TIMESTAMPTZ '2026-03-29T00:59:58Z' + i * INTERVAL '1 second', 30 + i, ARRAY[181, 202]::real[], now()
       FROM generate_series(0, 3) AS i`,
    );
  }, 60_000);

  afterAll(async () => {
    await db?.end();
    await api?.stop();
  });

  const get = (path: string): Promise<Response> => fetch(`${api.httpUrl}${path}`, { headers: auth });

  it('answers a trend with points of min, max and avg', async () => {
    const res = await get('/api/lines/2/history?metric=diameter&from=2026-03-29T00:00:00Z&to=2026-03-29T02:00:00Z&max_points=10');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      line_id: '2',
      metric: 'diameter',
      from: '2026-03-29T00:00:00.000Z',
      to: '2026-03-29T02:00:00.000Z',
      resolution: 'raw',
      bucket_ms: null,
      points: [30, 31, 32, 33].map((v, i) => ({ time: new Date(Date.parse('2026-03-29T00:59:58Z') + i * 1000).toISOString(), min: v, max: v, avg: v, count: 1 })),
    });
    const bucketed = (await (await get('/api/lines/2/history?metric=zone_2&from=2026-03-29T00:00:00Z&to=2026-03-29T02:00:00Z&max_points=2')).json()) as {
      resolution: string;
      points: { count: number; avg: number }[];
    };
    expect(bucketed.resolution).toBe('bucketed');
    expect(bucketed.points).toEqual([{ time: '2026-03-29T00:00:00.000Z', min: 202, max: 202, avg: 202, count: 2 }, { time: '2026-03-29T01:00:00.000Z', min: 202, max: 202, avg: 202, count: 2 }]);
  });

  it('streams CSV with local times and offsets across the DST change, as an attachment', async () => {
    const res = await get('/api/lines/2/export.csv?from=2026-03-29T00:00:00Z&to=2026-03-29T02:00:00Z&tz=Europe/Berlin');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="line-2-20260329T000000-20260329T020000.csv"');
    expect((await res.text()).split('\r\n')).toEqual([
      'time,line_id,diameter,line_speed,melt_pressure,screw_speed,zone_1,zone_2,zone_3,zone_4,backfill',
      '2026-03-29T01:59:58.000+01:00,2,30,,,,181,202,,,false',
      '2026-03-29T01:59:59.000+01:00,2,31,,,,181,202,,,false',
      '2026-03-29T03:00:00.000+02:00,2,32,,,,181,202,,,false',
      '2026-03-29T03:00:01.000+02:00,2,33,,,,181,202,,,false',
      '',
    ]);
  });

  it('refuses bad parameters with 422 and the loc of each, and unknown lines with 404', async () => {
    const detail = async (path: string): Promise<{ loc: string[] }[]> => {
      const res = await get(path);
      expect(res.status).toBe(422);
      return ((await res.json()) as { detail: { loc: string[] }[] }).detail;
    };
    expect((await detail('/api/lines/2/history?metric=bogus'))[0].loc).toEqual(['query', 'metric']);
    expect((await detail('/api/lines/2/history?metric=diameter&max_points=0'))[0].loc).toEqual(['query', 'max_points']);
    expect((await detail('/api/lines/2/history?metric=diameter&from=yesterday'))[0].loc).toEqual(['query', 'from']);
    expect((await detail('/api/lines/2/history?metric=diameter&from=2026-03-29T02:00:00Z&to=2026-03-29T01:00:00Z'))[0].loc).toEqual(['query', 'to']);
    expect((await detail('/api/lines/2/export.csv?tz=Mars/Olympus_Mons'))[0].loc).toEqual(['query', 'tz']);
    const missing = await get('/api/lines/no-such-line/history?metric=diameter');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Line no-such-line not found' });
    expect((await get('/api/lines/no-such-line/export.csv')).status).toBe(404);
  });

  it('documents the routes and the metric names in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${api.httpUrl}/openapi.json`)).json()) as { paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[] } }[] } }> };
    const metric = doc.paths['/api/lines/{id}/history'].get.parameters.find((p) => p.name === 'metric');
    expect(metric?.schema.enum).toEqual(expect.arrayContaining(['diameter', 'zone_1', 'zone_16']));
    expect(doc.paths['/api/lines/{id}/export.csv']).toBeDefined();
  });
});
