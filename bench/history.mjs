// 4. History: the 24-hour trend (GET /api/lines/{id}/history, max_points=1000) and the CSV export
// (GET /api/lines/{id}/export.csv) of 10 Hz data, with 1 day and with 30 days of data for the line.
// Bare baselines: the same bucket query through pg, and COPY (SELECT ...) TO STDOUT by psql.
// The seeded database is kept in the benchmark cluster between runs (seeding 30 days takes minutes).
import { spawnSync } from 'node:child_process';
import { SERVER_CORE, connect } from './lib/infra.mjs';
import { fmt, fmtSpread, now, ratio, spread, step } from './lib/util.mjs';
import { table } from './lib/results.mjs';

const DB = 'lm_bench_history';
const DAY = 86_400_000;
// Line "1" holds `small` days of data, line "2" `large` days.
const SEED_VERSION = 2;

async function migrationsOf(c) {
  const r = await c.query(`SELECT string_agg(name, ',' ORDER BY id) AS m FROM migrations`).catch(() => ({ rows: [{ m: '' }] }));
  return r.rows[0].m ?? '';
}

async function ensureSeed(ctx, plan) {
  const tpl = await connect(ctx.pg.url(ctx.template));
  const migrations = await migrationsOf(tpl);
  await tpl.end();
  if (await ctx.pg.exists(DB)) {
    const c = await connect(ctx.pg.url(DB));
    const ok = await c
      .query('SELECT line_id, days, end_ms FROM bench_seed WHERE version = $1 AND migrations = $2', [SEED_VERSION, migrations])
      .then((r) => r.rows)
      .catch(() => []);
    await c.end();
    if (plan.every((p) => ok.some((r) => r.line_id === p.line && r.days === p.days))) {
      step('history: reusing the seeded database');
      return Object.fromEntries(ok.map((r) => [r.line_id, Number(r.end_ms)]));
    }
  }
  step('history: seeding (10 Hz, generate_series, one day per statement)');
  const url = await ctx.pg.cloneTemplate(DB, ctx.template);
  const c = await connect(url);
  await c.query('CREATE TABLE bench_seed (line_id text, days int, end_ms bigint, version int, migrations text)');
  const end = Math.floor(Date.now() / DAY) * DAY; // midnight UTC today: whole days
  const partitioned = (await c.query(`SELECT to_regproc('lm_telemetry_ensure_partition') IS NOT NULL AS p`)).rows[0].p;
  const total = plan.reduce((a, p) => a + p.days, 0);
  let done = 0;
  const t0 = now();
  for (const p of plan) {
    for (let d = p.days; d >= 1; d--) {
      const lo = new Date(end - d * DAY);
      if (partitioned) await c.query(`SELECT lm_telemetry_ensure_partition($1::date)`, [lo.toISOString().slice(0, 10)]);
      await c.query(
        `INSERT INTO telemetry (line_id, time, body_temperatures, diameter, line_speed, melt_pressure, screw_speed)
         SELECT $1, t,
                ARRAY[180 + random(), 195 + random(), 210 + random(), 222 + random(), 230 + random()]::real[],
                20 + 0.05 * sin(extract(epoch FROM t) / 600) + 0.01 * random(),
                12.5 + 0.1 * random(), 180 + 5 * random(), 60 + random()
         FROM generate_series($2::timestamptz, $2::timestamptz + interval '1 day' - interval '100 ms', interval '100 ms') AS t`,
        [p.line, lo],
      );
      done++;
      step(`history: seeded ${done}/${total} days (${((now() - t0) / 1000).toFixed(0)} s)`);
    }
    await c.query('INSERT INTO bench_seed VALUES ($1, $2, $3, $4, $5)', [p.line, p.days, end, SEED_VERSION, migrations]);
  }
  await c.query('VACUUM ANALYZE telemetry');
  await c.end();
  return Object.fromEntries(plan.map((p) => [p.line, end]));
}

/**
 * The api rolls the seeded days up per minute in the background (first start after a seed: ~1 min per
 * 10 line-days); trends are measured once that is done (closed minutes rolled, no dirty minute left).
 * Builds without the rollup have no state table: nothing to wait for.
 */
async function waitForRollup(c, endMs) {
  const t0 = now();
  const state = async () =>
    (await c.query(`SELECT rolled_before, (SELECT count(*) FROM telemetry_rollup_dirty)::int AS dirty FROM telemetry_rollup_state`).catch(() => ({ rows: [] }))).rows[0];
  let s = await state();
  if (!s) return null;
  for (let i = 0; i < 1200 && !(s.rolled_before && s.rolled_before.getTime() >= endMs && s.dirty === 0); i++) {
    if (i % 10 === 0) step(`history: waiting for the api's per-minute rollup (rolled to ${s.rolled_before?.toISOString() ?? '-'}, ${s.dirty} dirty minutes)`);
    await new Promise((r) => setTimeout(r, 1000));
    s = await state();
  }
  const rows = Number((await c.query(`SELECT count(*) AS n FROM telemetry_rollup`)).rows[0].n);
  const waited_s = (now() - t0) / 1000;
  step(`history: rollup ready after ${fmt(waited_s)} s (${fmt(rows)} rollup rows)`);
  return { waited_s, rows, dirty_left: s.dirty };
}

async function timeHttp(url, retried = false) {
  const t0 = now();
  try {
    const res = await fetch(url);
    const body = Buffer.from(await res.arrayBuffer());
    return { ms: now() - t0, status: res.status, bytes: body.length, body };
  } catch (err) {
    // undici says only "fetch failed": the reason is in `cause` (e.g. a kept-alive socket the server closed).
    step(`history: ${url.replace(/\?.*/, '')} failed after ${fmt(now() - t0)} ms: ${err.cause?.code ?? ''} ${err.cause?.message ?? err.message}${retried ? '' : '; once more'}`);
    if (retried) throw err;
    return timeHttp(url, true);
  }
}

function timePsqlCopy(dbUrl, sql) {
  const t0 = now();
  const r = spawnSync('bash', ['-c', `taskset -c ${SERVER_CORE} psql "$1" -q -v ON_ERROR_STOP=1 -c "$2" | wc -c`, 'x', dbUrl, `\\copy (${sql}) TO STDOUT WITH (FORMAT csv)`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return { ms: now() - t0, bytes: Number(r.stdout.trim()) };
}

export async function run(ctx) {
  const dev = ctx.scale < 1;
  const plan = [
    { line: '1', days: 1 },
    { line: '2', days: dev ? 2 : 30 },
  ];
  const ends = await ensureSeed(ctx, plan);
  const server = await ctx.startOurs('history', { databaseUrl: ctx.pg.url(DB) });
  const c = await connect(ctx.pg.url(DB));
  const rollup = await waitForRollup(c, Math.max(...Object.values(ends)));
  const reps = ctx.quick ? 3 : 5;
  const rows = [];
  let noEndpoint = false;
  try {
    for (const p of plan) {
      const to = new Date(ends[p.line]);
      const ranges = [{ label: '24 h', from: new Date(to.getTime() - DAY) }];
      // The whole-range trend scans every row (~10 s at 30 days): not in quick mode.
      if (p.days > 1 && !ctx.quick) ranges.push({ label: `${p.days} d`, from: new Date(to.getTime() - p.days * DAY) });
      for (const r of ranges) {
        const q = `from=${encodeURIComponent(r.from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
        // Trend: ours over HTTP, bare = the bucket query alone through pg.
        const trendUrl = `${server.httpUrl}/api/lines/${p.line}/history?metric=diameter&max_points=1000&${q}`;
        const first = await timeHttp(trendUrl);
        if (first.status === 404 && /Cannot GET/.test(first.body.toString())) noEndpoint = true;
        const ours = [];
        const bare = [];
        let points = null;
        // A whole-range trend scans every row (~10 s at 30 days): 3 repetitions there.
        const n = r.label === '24 h' ? reps : Math.min(reps, 3);
        for (let i = 0; i < n; i++) {
          if (!noEndpoint) {
            const h = await timeHttp(trendUrl);
            if (h.status !== 200) throw new Error(`history answered ${h.status}: ${h.body.toString().slice(0, 200)}`);
            points = JSON.parse(h.body.toString()).points.length;
            ours.push(h.ms);
          }
          const bucketMs = Math.ceil((to - r.from) / 1000);
          const t0 = now();
          await c.query(
            `SELECT date_bin($4::interval, time, $2::timestamptz) AS bucket, min(v), max(v), avg(v), count(*)::int
             FROM (SELECT time, diameter::float8 AS v FROM telemetry WHERE line_id = $1 AND time >= $2 AND time < $3) s
             WHERE v IS NOT NULL GROUP BY 1 ORDER BY 1`,
            [p.line, r.from, to, `${bucketMs} milliseconds`],
          );
          bare.push(now() - t0);
        }
        rows.push({ what: 'trend', line: p.line, data_days: p.days, range: r.label, points, first_ms: first.ms, ours_ms: spread(ours), bare_ms: spread(bare), ratio: ratio(spread(ours).median, spread(bare).median) });
        step(`history: trend ${r.label} with ${p.days} d of data: ours ${fmt(spread(ours).median)} ms, bare SQL ${fmt(spread(bare).median)} ms`);
      }
      // Export of the last 24 h: ours streams CSV over HTTP; bare = COPY ... TO STDOUT through psql.
      const from = new Date(to.getTime() - DAY);
      const exportUrl = `${server.httpUrl}/api/lines/${p.line}/export.csv?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
      const ours = [];
      const bare = [];
      let bytes = 0;
      const exportReps = ctx.quick ? 1 : 3;
      for (let i = 0; i < exportReps; i++) {
        if (!noEndpoint) {
          const h = await timeHttp(exportUrl);
          if (h.status !== 200) throw new Error(`export answered ${h.status}: ${h.body.toString().slice(0, 200)}`);
          bytes = h.bytes;
          ours.push(h.ms);
        }
        bare.push(
          timePsqlCopy(
            ctx.pg.url(DB),
            `SELECT time, line_id, diameter, line_speed, melt_pressure, screw_speed, body_temperatures, backfill FROM telemetry WHERE line_id = '${p.line}' AND time >= '${from.toISOString()}' AND time < '${to.toISOString()}' ORDER BY time`,
          ).ms,
        );
      }
      rows.push({ what: 'export.csv', line: p.line, data_days: p.days, range: '24 h', rows: 864_000, bytes, ours_ms: spread(ours), bare_ms: spread(bare), ratio: ratio(spread(ours).median, spread(bare).median) });
      step(`history: export 24 h with ${p.days} d of data: ours ${fmt(spread(ours).median)} ms (${fmt(bytes / 1e6)} MB), bare COPY ${fmt(spread(bare).median)} ms`);
    }
  } finally {
    await c.end();
    await server.stop();
  }
  const md = [
    `### 4. History (10 Hz data, one line; median of ${reps} for trends, ${ctx.quick ? 1 : 3} for exports)`,
    '',
    table(
      ['query', 'data stored for the line', 'range', 'ours ms', 'bare ms', 'ours / bare', 'size'],
      rows.map((r) => [
        r.what === 'trend' ? 'trend (diameter, max_points 1000)' : 'export.csv',
        `${r.data_days} d (${fmt(r.data_days * 864_000)} rows)`,
        r.range,
        fmtSpread(r.ours_ms),
        fmtSpread(r.bare_ms),
        r.ratio === null ? 'n/a' : `${fmt(r.ratio)}x`,
        r.what === 'trend' ? `${r.points} points` : `${fmt(r.bytes / 1e6)} MB`,
      ]),
    ),
    '',
    ...(noEndpoint ? ['**This build has no history endpoint: only the bare SQL was measured.**', ''] : []),
    'Bare: the trend is the bucket query alone through `pg` from the load process (date_bin over raw rows, what ours did before the per-minute rollup; ours now reads the rollup for buckets of a minute or more); the export is `\\copy (SELECT ...) TO STDOUT` by psql pinned to the server core. The first (cold) trend request is in the JSON (`first_ms`).',
    ...(rollup ? ['', `Per-minute rollup: ${fmt(rollup.rows)} rows; waited ${fmt(rollup.waited_s)} s after the api started for it to cover the seeded days.`] : []),
  ].join('\n');
  return { name: 'history', rows, rollup, no_endpoint: noEndpoint, markdown: md };
}
