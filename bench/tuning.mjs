// Tuning experiments on the bare gateway: what one technique is worth on this machine, measured the same
// way as the benchmarks, so that a change to our api can be weighed before it is made.
//  - Nagle on the ingest MQTT socket: the api's mqtt.js socket keeps Nagle on (mqtt.js never calls
//    setNoDelay); its PUBACKs are small writes that Nagle can hold back, and the broker's in-flight window
//    (max_inflight_messages) waits for them.
import { Publisher } from './lib/load.mjs';
import { BENCH_LINES, connect } from './lib/infra.mjs';
import { fmt, fmtSpread, now, progress, ratio, sleep, spread, step, waitFor } from './lib/util.mjs';
import { table } from './lib/results.mjs';

async function ingestOnce(ctx, env, rows, run) {
  const server = await ctx.startBareGateway(`tuning_${run}`, { env });
  const publisher = await new Publisher(ctx.mosq.url, { connections: 16 }).start();
  publisher.track = false;
  try {
    await sleep(500);
    const t0 = now();
    await publisher.burst(rows, BENCH_LINES);
    let stored = 0;
    await waitFor(async () => {
      stored = Number((await server.health())?.stored ?? 0);
      progress(`tuning run ${run} ${JSON.stringify(env)}: ${stored}/${rows}`);
      return stored >= rows;
    }, { timeoutMs: 60_000, everyMs: 50 });
    const seconds = (now() - t0) / 1000;
    const c = await connect(server.databaseUrl);
    const count = Number((await c.query('SELECT count(*)::int AS n FROM telemetry')).rows[0].n);
    await c.end();
    return { rows_per_s: stored / seconds, stored, rows_in_table: count };
  } finally {
    await publisher.stop();
    await server.stop();
  }
}

export async function run(ctx) {
  const rows = ctx.quick ? 20_000 : 60_000;
  const runs = ctx.quick ? 1 : 3;
  const raw = [];
  for (let r = 1; r <= runs; r++) {
    for (const [label, env] of [['Nagle off (setNoDelay)', {}], ['Nagle on (mqtt.js default)', { BARE_NODELAY: '0' }]]) {
      step(`tuning: bare gateway ingest, ${label}, run ${r}/${runs}`);
      const res = await ingestOnce(ctx, env, rows, r);
      step(`tuning: ${label}: ${fmt(res.rows_per_s)} rows/s`);
      raw.push({ experiment: 'ingest-nagle', label, run: r, ...res });
    }
  }
  const off = spread(raw.filter((x) => x.label.startsWith('Nagle off')).map((x) => x.rows_per_s));
  const on = spread(raw.filter((x) => x.label.startsWith('Nagle on')).map((x) => x.rows_per_s));
  const md = [
    `### Tuning experiments (bare gateway, median of ${runs})`,
    '',
    table(
      ['experiment', 'before', 'after', 'after / before'],
      [[`ingest rows/s, ${fmt(rows)} messages from 16 publishers: Nagle on the subscriber's MQTT socket -> off`, fmtSpread(on), fmtSpread(off), `${fmt(ratio(off.median, on.median))}x`]],
    ),
  ].join('\n');
  return { name: 'tuning', raw, summary: { nagle_off: off, nagle_on: on }, markdown: md };
}
