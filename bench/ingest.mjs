// 3. Ingest: committed rows per second from MQTT to PostgreSQL with many publishers, our api against a
// bare COPY of the same rows from one process (psql \copy, pinned to the server core), and against the
// bare gateway (mqtt.js + pg, same MQTT path) for reference. Target: ours >= 0.5x bare COPY.
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Publisher } from './lib/load.mjs';
import { BENCH_LINES, SERVER_CORE, WORK, connect } from './lib/infra.mjs';
import { cpuSeconds, fmt, fmtSpread, now, progress, ratio, sleep, spread, step, waitFor } from './lib/util.mjs';
import { table } from './lib/results.mjs';

const TEMPS = '{180.5,195.25,210,222.75,230.5}';

async function writeCsv(path, rows) {
  const out = createWriteStream(path);
  const base = Date.now() - 3600_000;
  for (let i = 0; i < rows; i++) {
    const line = BENCH_LINES[i % BENCH_LINES.length];
    const t = new Date(base + Math.floor(i / BENCH_LINES.length)).toISOString();
    const ok = out.write(`${line},${t},"${TEMPS}",${(20 + (i % 100) / 1000).toFixed(3)},12.5,181.5,61.25,,${t}\n`);
    if (!ok) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

async function copyOnce(ctx, csv, rows, run) {
  const url = await ctx.newDb(`ingest_copy_${run}`);
  const t0 = now();
  const r = spawnSync(
    'taskset',
    ['-c', SERVER_CORE, 'psql', url, '-v', 'ON_ERROR_STOP=1', '-q', '-c',
      `\\copy telemetry (line_id, time, body_temperatures, diameter, line_speed, melt_pressure, screw_speed, msg_id, received_at) FROM '${csv}' WITH (FORMAT csv)`],
    { encoding: 'utf8' },
  );
  const seconds = (now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`psql \\copy failed: ${r.stderr}`);
  const c = await connect(url);
  const stored = Number((await c.query('SELECT count(*)::int AS n FROM telemetry')).rows[0].n);
  await c.end();
  return { kind: 'copy', run, rows, stored, seconds, rows_per_s: stored / seconds };
}

async function mqttOnce(ctx, kind, rows, run, publishers) {
  const server = kind === 'ours' ? await ctx.startOurs(`ingest_${run}`) : await ctx.startBareGateway(`ingest_${run}`);
  const publisher = await new Publisher(ctx.mosq.url, { connections: publishers }).start();
  publisher.track = false;
  const storedNow = async () => {
    const h = await server.health();
    return kind === 'ours' ? Number(h?.ingest?.stored ?? 0) : Number(h?.stored ?? 0);
  };
  try {
    await sleep(500);
    const before = await storedNow();
    const cpu0 = cpuSeconds(server.pid);
    const t0 = now();
    await publisher.burst(rows, BENCH_LINES);
    const published = (now() - t0) / 1000;
    let stored = 0;
    await waitFor(async () => {
      stored = (await storedNow()) - before;
      progress(`ingest ${kind} run ${run}: ${stored}/${rows} rows committed`);
      return stored >= rows;
    }, { timeoutMs: 120_000, everyMs: 50 });
    const seconds = (now() - t0) / 1000;
    const serverCpu = cpuSeconds(server.pid) - cpu0;
    const c = await connect(server.databaseUrl);
    const count = Number((await c.query('SELECT count(*)::int AS n FROM telemetry')).rows[0].n);
    await c.end();
    return { kind, run, rows, publishers, stored, rows_in_table: count, seconds, publish_seconds: published, rows_per_s: stored / seconds, server_cpu_share: serverCpu / seconds, server_cpu_us_per_row: (serverCpu / stored) * 1e6 };
  } finally {
    await publisher.stop();
    await server.stop();
  }
}

export async function run(ctx) {
  const rows = ctx.quick ? 20_000 : 100_000;
  const publishers = 16;
  const runs = ctx.quick ? 1 : 3;
  const csv = join(WORK, `ingest-${rows}.csv`);
  await writeCsv(csv, rows);
  const raw = [];
  for (let r = 1; r <= runs; r++) {
    for (const kind of ['ours', 'copy', 'bare']) {
      step(`ingest: ${kind}, ${rows} rows${kind === 'copy' ? '' : ` from ${publishers} MQTT publishers (QoS 1)`}, run ${r}/${runs}`);
      const res = kind === 'copy' ? await copyOnce(ctx, csv, rows, r) : await mqttOnce(ctx, kind, rows, r, publishers);
      step(`ingest: ${kind}: ${fmt(res.rows_per_s)} rows/s (${res.stored}/${rows} in ${res.seconds.toFixed(2)} s)`);
      raw.push(res);
    }
  }
  const pick = (kind) => spread(raw.filter((x) => x.kind === kind).map((x) => x.rows_per_s));
  const ratioTo = (kind) => spread(Array.from({ length: runs }, (_, i) => ratio(raw.find((x) => x.kind === 'ours' && x.run === i + 1)?.rows_per_s, raw.find((x) => x.kind === kind && x.run === i + 1)?.rows_per_s)));
  const summary = { rows, publishers, ours: pick('ours'), copy: pick('copy'), bare_gateway: pick('bare'), ratio_copy: ratioTo('copy'), ratio_bare_gateway: ratioTo('bare') };
  const missing = raw.filter((x) => x.kind !== 'copy').map((x) => `${x.kind} ${x.rows_in_table}/${x.rows}`).join(', ');
  const md = [
    `### 3. Ingest, ${fmt(rows)} rows (median of ${runs}, min-max in brackets)`,
    '',
    table(
      ['ours rows/s (MQTT, ' + publishers + ' publishers)', 'bare COPY rows/s (one psql)', 'ours / COPY (target >= 0.5)', 'bare gateway rows/s (MQTT)', 'ours / bare gateway'],
      [[
        fmtSpread(summary.ours),
        fmtSpread(summary.copy),
        `${fmtSpread(summary.ratio_copy, 'x')} ${summary.ratio_copy.median === null ? '?' : summary.ratio_copy.median >= 0.5 ? 'yes' : '**no**'}`,
        fmtSpread(summary.bare_gateway),
        fmtSpread(summary.ratio_bare_gateway, 'x'),
      ]],
    ),
    '',
    `Rows in the table after each MQTT run (stored/sent): ${missing}. Server CPU per row (us) and its core's busy share: ours ${fmt(spread(raw.filter((x) => x.kind === 'ours').map((x) => x.server_cpu_us_per_row)).median)} us, ${fmt(spread(raw.filter((x) => x.kind === 'ours').map((x) => x.server_cpu_share)).median)}; bare gateway ${fmt(spread(raw.filter((x) => x.kind === 'bare').map((x) => x.server_cpu_us_per_row)).median)} us, ${fmt(spread(raw.filter((x) => x.kind === 'bare').map((x) => x.server_cpu_share)).median)}.`,
  ].join('\n');
  return { name: 'ingest', summary, raw, markdown: md };
}
