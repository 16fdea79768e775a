// 1. WebSocket fan-out: deliveries/s and deliveries per server CPU-second to N clients, our api against a
// bare `ws` server broadcasting the same frames (stringify once); idle memory per connection.
//
// Method: N clients connect (idle RSS before/after: memory per connection), then a burst of M telemetry
// messages is published through mosquitto; the window runs from the first publish to the last frame
// received by any client. Our api also stores each message (ingest is ~1% of the work at 1,000 clients).
import { Fleet, Publisher } from './lib/load.mjs';
import { cpuSeconds, fmt, fmtSpread, latencySummary, now, progress, ratio, rssBytes, sleep, spread, step, waitFor } from './lib/util.mjs';
import { table } from './lib/results.mjs';

const DEMO_LINES = ['1', '2', '3', '4', '5', '6', '7', '8'];
// bare: the `ws` README broadcast (the baseline); bare-cork: the same, frames coalesced per
// event-loop turn in one corked write per client (what our hub does), i.e. the machine's real ceiling.
const KINDS = ['ours', 'bare', 'bare-cork'];

async function once(ctx, kind, n, burst, run) {
  const server = kind === 'ours' ? await ctx.startOurs(`fanout_${run}`) : await ctx.startBareWs(kind === 'bare-cork' ? { BARE_CORK: '1' } : {});
  const publisher = await new Publisher(ctx.mosq.url, { connections: 2 }).start();
  const fleet = new Fleet(server.wsUrl, n, { publisher, sampleEvery: 50 });
  try {
    await sleep(1500);
    const rss0 = rssBytes(server.pid);
    await fleet.open();
    await sleep(2000);
    const rss1 = rssBytes(server.pid);

    // Warm-up (JIT, buffers), then the measured burst.
    const warm = 20;
    const f0 = fleet.frames;
    await publisher.burst(warm, DEMO_LINES);
    await waitFor(() => fleet.frames - f0 >= warm * n, { timeoutMs: 15_000 });
    await sleep(300);
    publisher.reset();
    fleet.resetWindow();
    let last = now();
    let lastCount = 0;
    fleet.onFrame = null;
    const base = fleet.frames;
    const expected = burst * n;
    const cpu0 = cpuSeconds(server.pid);
    const lc0 = process.cpuUsage();
    const t0 = now();
    await publisher.burst(burst, DEMO_LINES);
    // Done when every delivery arrived, or nothing more arrived for 2 s.
    await waitFor(
      () => {
        const got = fleet.frames - base;
        if (got !== lastCount) {
          lastCount = got;
          last = now();
        }
        progress(`fanout ${kind} N=${n} run ${run}: ${got}/${expected} deliveries`);
        return got >= expected || now() - last > 2000;
      },
      { timeoutMs: 120_000, everyMs: 20 },
    );
    const t1 = last;
    const cpu1 = cpuSeconds(server.pid);
    const lc = process.cpuUsage(lc0);
    const deliveries = fleet.frames - base;
    const seconds = (t1 - t0) / 1000;
    const serverCpu = cpu1 - cpu0;
    return {
      kind,
      n,
      burst,
      deliveries,
      expected,
      lost: expected - deliveries,
      seconds,
      deliveries_per_s: deliveries / seconds,
      server_cpu_s: serverCpu,
      deliveries_per_cpu_s: serverCpu > 0 ? deliveries / serverCpu : null,
      loadgen_cpu_share: (lc.user + lc.system) / 1e6 / seconds,
      latency_ms: latencySummary(fleet.latencies),
      idle_bytes_per_conn: rss0 && rss1 ? (rss1 - rss0) / n : null,
      closed_unexpectedly: fleet.closedUnexpectedly,
    };
  } finally {
    await fleet.close();
    await publisher.stop();
    await server.stop();
  }
}

export async function run(ctx) {
  const sizes = (ctx.quick ? [[1000, 100]] : [[1000, 300], [5000, 60]]).map(([n, b]) => [Math.max(10, Math.round(n * ctx.scale)), b]);
  const runs = ctx.quick ? 1 : 3;
  const raw = [];
  for (const [n, burst] of sizes) {
    for (let r = 1; r <= runs; r++) {
      // Interleaved (ours, bare, ours, ...) so that drift of the shared machine hits both.
      for (const kind of KINDS) {
        step(`fanout: ${kind}, ${n} clients, burst of ${burst} messages, run ${r}/${runs}`);
        const res = await once(ctx, kind, n, burst, r);
        step(`fanout: ${kind} N=${n}: ${fmt(res.deliveries_per_s)} deliveries/s, ${fmt(res.deliveries_per_cpu_s)} per CPU-s, ${fmt(res.idle_bytes_per_conn / 1024)} kB/conn, lost ${res.lost}`);
        raw.push({ run: r, ...res });
      }
    }
  }
  const summary = [];
  for (const [n] of sizes) {
    const pick = (kind, key) => spread(raw.filter((x) => x.kind === kind && x.n === n).map((x) => x[key]));
    const ratios = (key, base = 'bare') =>
      spread(Array.from({ length: runs }, (_, i) => {
        const o = raw.find((x) => x.kind === 'ours' && x.n === n && x.run === i + 1);
        const b = raw.find((x) => x.kind === base && x.n === n && x.run === i + 1);
        return ratio(o?.[key], b?.[key]);
      }));
    summary.push({
      n,
      ours: { deliveries_per_s: pick('ours', 'deliveries_per_s'), deliveries_per_cpu_s: pick('ours', 'deliveries_per_cpu_s'), idle_bytes_per_conn: pick('ours', 'idle_bytes_per_conn'), lost: pick('ours', 'lost'), loadgen_cpu_share: pick('ours', 'loadgen_cpu_share') },
      bare: { deliveries_per_s: pick('bare', 'deliveries_per_s'), deliveries_per_cpu_s: pick('bare', 'deliveries_per_cpu_s'), idle_bytes_per_conn: pick('bare', 'idle_bytes_per_conn'), lost: pick('bare', 'lost'), loadgen_cpu_share: pick('bare', 'loadgen_cpu_share') },
      ratio_throughput: ratios('deliveries_per_s'),
      ratio_per_cpu: ratios('deliveries_per_cpu_s'),
      ratio_memory: ratios('idle_bytes_per_conn'),
      bare_cork: { deliveries_per_s: pick('bare-cork', 'deliveries_per_s'), deliveries_per_cpu_s: pick('bare-cork', 'deliveries_per_cpu_s') },
      ratio_throughput_cork: ratios('deliveries_per_s', 'bare-cork'),
      ratio_per_cpu_cork: ratios('deliveries_per_cpu_s', 'bare-cork'),
    });
  }
  const kb = (s) => ({ ...s, median: s.median === null ? null : s.median / 1024, min: s.min === null ? null : s.min / 1024, max: s.max === null ? null : s.max / 1024 });
  const pass = (x, target, higherIsBetter = true) => (x.median === null ? '?' : (higherIsBetter ? x.median >= target : x.median <= target) ? 'yes' : '**no**');
  const md = [
    `### 1. WebSocket fan-out (median of ${runs}, min-max in brackets)`,
    '',
    table(
      ['clients', 'ours deliveries/s', 'bare deliveries/s', 'ratio (target >= 0.8)', 'ours per CPU-s', 'bare per CPU-s', 'ratio per CPU-s', 'ours idle kB/conn', 'bare idle kB/conn', 'memory ratio (target <= 1.5)', 'lost ours/bare'],
      summary.map((s) => [
        fmt(s.n),
        fmtSpread(s.ours.deliveries_per_s),
        fmtSpread(s.bare.deliveries_per_s),
        `${fmtSpread(s.ratio_throughput, 'x')} ${pass(s.ratio_throughput, 0.8)}`,
        fmtSpread(s.ours.deliveries_per_cpu_s),
        fmtSpread(s.bare.deliveries_per_cpu_s),
        `${fmtSpread(s.ratio_per_cpu, 'x')} ${pass(s.ratio_per_cpu, 0.8)}`,
        fmtSpread(kb(s.ours.idle_bytes_per_conn)),
        fmtSpread(kb(s.bare.idle_bytes_per_conn)),
        `${fmtSpread(s.ratio_memory, 'x')} ${pass(s.ratio_memory, 1.5, false)}`,
        `${fmt(s.ours.lost.median)} / ${fmt(s.bare.lost.median)}`,
      ]),
    ),
    '',
    'Against the bare server with per-turn coalescing (`BARE_CORK=1`: one corked write per client per event-loop turn, as our hub does):',
    '',
    table(
      ['clients', 'bare-cork deliveries/s', 'ours / bare-cork', 'bare-cork per CPU-s', 'ours / bare-cork per CPU-s'],
      summary.map((s) => [fmt(s.n), fmtSpread(s.bare_cork.deliveries_per_s), fmtSpread(s.ratio_throughput_cork, 'x'), fmtSpread(s.bare_cork.deliveries_per_cpu_s), fmtSpread(s.ratio_per_cpu_cork, 'x')]),
    ),
    '',
    `Load generator CPU share during the window (1.0 = its core saturated, then the figure is the client's limit): ours ${summary.map((s) => fmt(s.ours.loadgen_cpu_share.median)).join(', ')}; bare ${summary.map((s) => fmt(s.bare.loadgen_cpu_share.median)).join(', ')}.`,
  ].join('\n');
  return { name: 'fanout', summary, raw, markdown: md };
}
