// 3. Ingest: committed rows per second from MQTT to PostgreSQL with many publishers, our api against a
// bare COPY of the same rows from one process (psql \copy, pinned to the server core), and against the
// bare gateway (mqtt.js + pg, same MQTT path) for reference. Target: ours >= 0.5x bare COPY.
// Two forms of the same rows: one reading per MQTT message, and BENCH_INGEST_BATCH (default 50) readings
// per message (the array form of DESIGN.md section 5, stored as backfill: no broadcast, no alarms).
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

async function mqttOnce(ctx, kind, rows, run, publishers, perMessage) {
  // Experiments: BENCH_INGEST_NODE_OPTIONS (node options of the server under test, e.g. a GC setting),
  // BENCH_INGEST_ENV (JSON: more environment for it, e.g. {"WS_REPLAY_BUFFER":"0"}).
  const env = { ...JSON.parse(process.env.BENCH_INGEST_ENV || '{}') };
  if (process.env.BENCH_INGEST_NODE_OPTIONS) env.NODE_OPTIONS = process.env.BENCH_INGEST_NODE_OPTIONS;
  const name = `ingest_${run}${perMessage > 1 ? `_x${perMessage}` : ''}`;
  const server = kind === 'ours' ? await ctx.startOurs(name, { env }) : await ctx.startBareGateway(name, { env });
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
    const messages = perMessage > 1 ? await publisher.burstBatched(rows, BENCH_LINES, perMessage) : (await publisher.burst(rows, BENCH_LINES), rows);
    const published = (now() - t0) / 1000;
    let stored = 0;
    await waitFor(async () => {
      stored = (await storedNow()) - before;
      progress(`ingest ${kind} x${perMessage} run ${run}: ${stored}/${rows} rows committed`);
      return stored >= rows;
    }, { timeoutMs: 120_000, everyMs: 50 });
    const seconds = (now() - t0) / 1000;
    const serverCpu = cpuSeconds(server.pid) - cpu0;
    const c = await connect(server.databaseUrl);
    const count = Number((await c.query('SELECT count(*)::int AS n FROM telemetry')).rows[0].n);
    await c.end();
    return { kind, run, rows, publishers, per_message: perMessage, messages, stored, rows_in_table: count, seconds, publish_seconds: published, rows_per_s: stored / seconds, server_cpu_share: serverCpu / seconds, server_cpu_us_per_row: (serverCpu / stored) * 1e6 };
  } finally {
    await publisher.stop();
    await server.stop();
  }
}

export async function run(ctx) {
  // BENCH_INGEST_ROWS: a longer run (e.g. for a CPU profile in which start-up does not dominate).
  const rows = Number(process.env.BENCH_INGEST_ROWS) || (ctx.quick ? 20_000 : 100_000);
  const perMessage = Number(process.env.BENCH_INGEST_BATCH) || 50;
  const publishers = 16;
  const runs = ctx.quick ? 1 : 3;
  const csv = join(WORK, `ingest-${rows}.csv`);
  await writeCsv(csv, rows);
  const raw = [];
  // Interleaved: ours, COPY, bare, then the batched form of both, in every run.
  const plan = [['ours', 1], ['copy', 1], ['bare', 1], ['ours', perMessage], ['bare', perMessage]];
  for (let r = 1; r <= runs; r++) {
    for (const [kind, per] of plan) {
      const form = kind === 'copy' ? '' : ` from ${publishers} MQTT publishers (QoS 1), ${per} reading${per > 1 ? 's' : ''} per message`;
      step(`ingest: ${kind}, ${rows} rows${form}, run ${r}/${runs}`);
      const res = kind === 'copy' ? await copyOnce(ctx, csv, rows, r) : await mqttOnce(ctx, kind, rows, r, publishers, per);
      step(`ingest: ${kind}${kind === 'copy' ? '' : ` x${per}`}: ${fmt(res.rows_per_s)} rows/s (${res.stored}/${rows} in ${res.seconds.toFixed(2)} s)`);
      raw.push(res);
    }
  }
  const of = (kind, per) => raw.filter((x) => x.kind === kind && (kind === 'copy' || x.per_message === per));
  const pick = (kind, per, key = 'rows_per_s') => spread(of(kind, per).map((x) => x[key]));
  // Per-run ratios (same run, so drift of the shared machine hits both).
  const ratioOf = (per, kind) => spread(Array.from({ length: runs }, (_, i) => ratio(of('ours', per).find((x) => x.run === i + 1)?.rows_per_s, of(kind, per).find((x) => x.run === i + 1)?.rows_per_s)));
  const form = (per) => ({
    per_message: per,
    ours: pick('ours', per),
    bare_gateway: pick('bare', per),
    ratio_copy: ratioOf(per, 'copy'),
    ratio_bare_gateway: ratioOf(per, 'bare'),
    bare_ratio_copy: spread(Array.from({ length: runs }, (_, i) => ratio(of('bare', per).find((x) => x.run === i + 1)?.rows_per_s, of('copy').find((x) => x.run === i + 1)?.rows_per_s))),
    ours_cpu_us_per_row: pick('ours', per, 'server_cpu_us_per_row'),
    bare_cpu_us_per_row: pick('bare', per, 'server_cpu_us_per_row'),
    ours_cpu_share: pick('ours', per, 'server_cpu_share'),
    bare_cpu_share: pick('bare', per, 'server_cpu_share'),
  });
  const single = form(1);
  const batched = form(perMessage);
  // The top-level figures stay those of one reading per message (bench/report.mjs reads them).
  const summary = { rows, publishers, copy: pick('copy'), ...single, batched };
  const met = (r) => (r.median === null ? '?' : r.median >= 0.5 ? 'yes' : '**no**');
  const line = (f) => [
    `${f.per_message}`,
    fmtSpread(f.ours),
    fmtSpread(summary.copy),
    `${fmtSpread(f.ratio_copy, 'x')} ${met(f.ratio_copy)}`,
    fmtSpread(f.bare_gateway),
    fmtSpread(f.bare_ratio_copy, 'x'),
    fmtSpread(f.ratio_bare_gateway, 'x'),
    `${fmt(f.ours_cpu_us_per_row.median)} / ${fmt(f.bare_cpu_us_per_row.median)}`,
  ];
  const missing = raw.filter((x) => x.kind !== 'copy').map((x) => `${x.kind} x${x.per_message} ${x.rows_in_table}/${x.rows}`).join(', ');
  const md = [
    `### 3. Ingest, ${fmt(rows)} rows (median of ${runs}, min-max in brackets)`,
    '',
    table(
      ['readings per MQTT message', `ours rows/s (MQTT, ${publishers} publishers)`, 'bare COPY rows/s (one psql)', 'ours / COPY (target >= 0.5)', 'bare gateway rows/s (MQTT)', 'bare gateway / COPY', 'ours / bare gateway', 'server CPU us per row, ours / bare'],
      [line(single), line(batched)],
    ),
    '',
    `With ${perMessage} readings per message the payload is the array form (DESIGN.md section 5), stored as backfill (not broadcast, not alarmed) by both servers. Rows in the table after each MQTT run (stored/sent): ${missing}. Server core busy share (1.0 = one core), one reading / ${perMessage} per message: ours ${fmt(single.ours_cpu_share.median)} / ${fmt(batched.ours_cpu_share.median)}; bare gateway ${fmt(single.bare_cpu_share.median)} / ${fmt(batched.bare_cpu_share.median)}.`,
  ].join('\n');
  return { name: 'ingest', summary, raw, markdown: md };
}
