// 5. Recovery: 1,000 raw WebSocket clients that reconnect (backoff with jitter) and send
// `resume {epoch, last_seq}`, while devices publish at the design load (8 lines x 10 Hz).
//  a) api restart (SIGTERM, start again on the same port, same MQTT session): time from the stop to the
//     api answering, then to every client connected and resumed. A graceful stop saves the stream (epoch,
//     seq, replay ring) and the start continues it, so clients resume by replay (`recovered: true`);
//     seq gaps of sampled clients across the restart, and what a client missed meanwhile.
//  b) network drop (every client socket cut at once, same server): time to all resumed, and whether the
//     replay left a gap in seq (it must not).
import WebSocket from 'ws';
import { Publisher } from './lib/load.mjs';
import { connect } from './lib/infra.mjs';
import { fmt, fmtSpread, now, progress, sleep, spread, step, waitFor } from './lib/util.mjs';
import { table } from './lib/results.mjs';

const DEMO_LINES = ['1', '2', '3', '4', '5', '6', '7', '8'];
const RETRY = { min: 100, grow: 1.3, max: 1000, jitter: 100 };

class ResumingClient {
  constructor(url, i, sampled) {
    this.url = url;
    this.i = i;
    this.sampled = sampled;
    this.epoch = null;
    this.lastSeq = null;
    this.phase = 'connecting';
    this.attempt = 0;
    this.seqs = new Set();
    this.received = new Map(); // line -> Set(timestamp) (sampled clients)
    this.recovered = null;
    this.connectedAt = null;
    this.liveAt = null;
    this.stopped = false;
  }

  open() {
    if (this.stopped) return;
    const ws = new WebSocket(this.url, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('message', (buf) => this.onMessage(JSON.parse(buf.toString())));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws !== ws || this.stopped) return;
      this.phase = 'down';
      // libs/client's schedule (delay x1.3 per attempt, capped, plus random jitter), 10x faster than its
      // defaults (1 s, 10 s cap, 1 s jitter) so that the figure is the server's, not the waiting.
      const delay = Math.min(RETRY.max, RETRY.min * RETRY.grow ** this.attempt++) + Math.random() * RETRY.jitter;
      setTimeout(() => this.open(), delay);
    });
  }

  send(type, data) {
    this.ws.send(JSON.stringify({ type, timestamp: new Date().toISOString(), data }));
  }

  onMessage(m) {
    switch (m.type) {
      case 'connected':
        this.attempt = 0;
        this.connectedAt = now();
        this.newEpoch = m.data.epoch;
        if (this.epoch !== null && this.lastSeq !== null) {
          this.phase = 'resuming';
          this.send('resume', { epoch: this.epoch, last_seq: this.lastSeq, request_id: `r${this.i}` });
        } else {
          this.epoch = m.data.epoch;
          this.lastSeq = m.data.seq;
          this.phase = 'live';
          this.liveAt = now();
        }
        return;
      case 'resumed':
        this.recovered = !!m.data.recovered;
        if (this.recovered) return this.goLive(m.data.epoch);
        this.send('request_latest', { request_id: `s${this.i}` });
        return;
      case 'snapshot':
        if (this.phase === 'resuming') this.goLive(m.data.epoch ?? this.newEpoch);
        return;
      default:
        if (typeof m.seq === 'number') {
          if (this.sampled) this.seqs.add(`${m.seq}`);
          if (this.phase === 'live') this.lastSeq = Math.max(this.lastSeq ?? 0, m.seq);
          else this.pendingMax = Math.max(this.pendingMax ?? 0, m.seq);
        }
        if (this.sampled && m.type === 'production_data') {
          const l = m.data.production_line_id;
          if (!this.received.has(l)) this.received.set(l, new Set());
          this.received.get(l).add(m.timestamp);
        }
    }
  }

  goLive(epoch) {
    if (epoch && epoch !== this.epoch) {
      this.epoch = epoch;
      this.lastSeq = this.pendingMax ?? this.lastSeq;
    } else this.lastSeq = Math.max(this.lastSeq ?? 0, this.pendingMax ?? 0);
    this.pendingMax = null;
    this.phase = 'live';
    this.liveAt = now();
  }

  stop() {
    this.stopped = true;
    this.ws?.terminate();
  }
}

/** Publishes the design load continuously, remembering every (line, timestamp) sent. */
function designLoad(publisher) {
  const sent = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const t0 = now();
      for (const l of DEMO_LINES) sent.push({ line: l, ts: new Date(publisher.publishOne(l)).toISOString(), at: now() });
      await sleep(Math.max(0, 100 - (now() - t0)));
    }
  })();
  return { sent, stop: async () => { stop = true; await done; } };
}

function missedBy(clients, sent, from, to) {
  const window = sent.filter((s) => s.at >= from && s.at <= to);
  let missed = 0;
  let expected = 0;
  for (const c of clients) {
    for (const s of window) {
      expected++;
      if (!c.received.get(s.line)?.has(s.ts)) missed++;
    }
  }
  return { missed, expected };
}

export async function run(ctx) {
  const n = Math.max(10, Math.round(1000 * ctx.scale));
  const runs = ctx.quick ? 1 : 3;
  const clientId = `bench-recovery-${Date.now()}`;
  const databaseUrl = await ctx.newDb('recovery');
  let server = await ctx.startOurs('recovery', { databaseUrl, clientId });
  const port = server.port;
  const publisher = await new Publisher(ctx.mosq.url, { connections: 2 }).start();
  publisher.track = false;
  const load = designLoad(publisher);
  const clients = Array.from({ length: n }, (_, i) => new ResumingClient(server.wsUrl, i, i % 10 === 0));
  const sampled = clients.filter((c) => c.sampled);
  const restarts = [];
  const drops = [];
  let stored = null;
  try {
    for (let i = 0; i < n; i += 100) {
      clients.slice(i, i + 100).forEach((c) => c.open());
      await sleep(50);
    }
    await waitFor(() => clients.every((c) => c.phase === 'live'), { timeoutMs: 60_000 });
    await sleep(2000);

    // b) network drop, same server: resume must replay with no gap.
    for (let r = 1; r <= runs; r++) {
      step(`recovery: network drop of ${n} clients, run ${r}/${runs}`);
      const before = new Map(sampled.map((c) => [c, c.lastSeq]));
      for (const c of clients) c.recovered = null;
      const t0 = now();
      for (const c of clients) c.ws.terminate();
      await waitFor(() => {
        const live = clients.filter((c) => c.phase === 'live' && c.recovered !== null).length;
        progress(`recovery drop ${r}: ${live}/${n} resumed`);
        return live === n;
      }, { timeoutMs: 60_000, everyMs: 10 });
      const allLive = (Math.max(...clients.map((c) => c.liveAt)) - t0) / 1000;
      await sleep(1500);
      // seq gaps: every seq after the one held at the drop, up to the latest, must have arrived.
      let gaps = 0;
      for (const c of sampled) {
        for (let s = before.get(c) + 1; s <= c.lastSeq; s++) if (!c.seqs.has(`${s}`)) gaps++;
      }
      const recovered = clients.filter((c) => c.recovered).length;
      drops.push({ run: r, seconds_to_all_resumed: allLive, recovered, of: n, seq_gaps_sampled: gaps });
      step(`recovery: drop run ${r}: all ${n} resumed in ${allLive.toFixed(2)} s, recovered ${recovered}/${n}, seq gaps ${gaps}`);
      await sleep(1000);
    }

    // a) api restart.
    for (let r = 1; r <= runs; r++) {
      step(`recovery: api restart with ${n} clients, run ${r}/${runs}`);
      const before = new Map(sampled.map((c) => [c, c.lastSeq]));
      const epochBefore = clients[0].epoch;
      for (const c of clients) c.recovered = null;
      const t0 = now();
      await server.stop('SIGTERM', true);
      const stopped = now();
      server = await ctx.startOurs('recovery', { databaseUrl, clientId, port });
      const ready = now();
      await waitFor(() => {
        const live = clients.filter((c) => c.phase === 'live' && c.recovered !== null).length;
        progress(`recovery restart ${r}: ${live}/${n} resumed`);
        return live === n;
      }, { timeoutMs: 60_000, everyMs: 10 });
      const allLive = Math.max(...clients.map((c) => c.liveAt));
      await sleep(1500);
      const { missed, expected } = missedBy(sampled, load.sent, t0 - 1000, allLive + 500);
      let gaps = 0;
      for (const c of sampled) {
        if (c.epoch !== epochBefore) continue; // a new epoch: the seqs start again, the client reloaded
        for (let s = before.get(c) + 1; s <= c.lastSeq; s++) if (!c.seqs.has(`${s}`)) gaps++;
      }
      const res = {
        run: r,
        stop_s: (stopped - t0) / 1000,
        start_s: (ready - stopped) / 1000,
        downtime_s: (ready - t0) / 1000,
        clients_after_ready_s: (allLive - ready) / 1000,
        total_s: (allLive - t0) / 1000,
        recovered: clients.filter((c) => c.recovered).length,
        of: n,
        same_epoch: clients.filter((c) => c.epoch === epochBefore).length,
        seq_gaps_sampled: gaps,
        missed_by_sampled_clients: missed,
        expected_by_sampled_clients: expected,
      };
      restarts.push(res);
      step(`recovery: restart ${r}: down ${res.downtime_s.toFixed(2)} s (stop ${res.stop_s.toFixed(2)} + start ${res.start_s.toFixed(2)}), all resumed ${res.clients_after_ready_s.toFixed(2)} s later; recovered ${res.recovered}/${n}; seq gaps ${gaps}; missed ${missed}/${expected}`);
      await sleep(2000);
    }
  } finally {
    await load.stop();
    for (const c of clients) c.stop();
    await publisher.waitAcked(10_000);
    await publisher.stop();
    // Every message published is stored (persistent session across the restarts).
    const c = await connect(databaseUrl);
    const rows = await waitFor(async () => {
      const k = Number((await c.query('SELECT count(*)::int AS n FROM telemetry')).rows[0].n);
      return k >= load.sent.length ? k : 0;
    }, { timeoutMs: 15_000, everyMs: 250 });
    const count = Number((await c.query('SELECT count(*)::int AS n FROM telemetry')).rows[0].n);
    await c.end();
    await server.stop();
    stored = { sent: load.sent.length, rows: rows || count };
  }
  const s = (arr, key) => spread(arr.map((x) => x[key]));
  const summary = {
    clients: n,
    drop: { seconds_to_all_resumed: s(drops, 'seconds_to_all_resumed'), recovered: s(drops, 'recovered'), seq_gaps: s(drops, 'seq_gaps_sampled') },
    restart: {
      downtime_s: s(restarts, 'downtime_s'),
      stop_s: s(restarts, 'stop_s'),
      start_s: s(restarts, 'start_s'),
      clients_after_ready_s: s(restarts, 'clients_after_ready_s'),
      total_s: s(restarts, 'total_s'),
      recovered: s(restarts, 'recovered'),
      seq_gaps: s(restarts, 'seq_gaps_sampled'),
      missed: s(restarts, 'missed_by_sampled_clients'),
      expected: s(restarts, 'expected_by_sampled_clients'),
    },
    stored,
  };
  const md = [
    `### 5. Recovery, ${n} clients resuming, design load 8 lines x 10 Hz (median of ${runs}, min-max in brackets)`,
    '',
    table(
      ['event', 'server back (s)', 'all clients resumed (s after the event)', 'recovered by replay', 'gap'],
      [
        ['network drop (all sockets cut)', '-', fmtSpread(summary.drop.seconds_to_all_resumed), `${fmt(summary.drop.recovered.median)} / ${n}`, `${fmt(summary.drop.seq_gaps.median)} missing seqs (sampled clients)`],
        [
          'api restart (SIGTERM, start)',
          `${fmtSpread(summary.restart.downtime_s)} (stop ${fmt(summary.restart.stop_s.median)} + start ${fmt(summary.restart.start_s.median)})`,
          `${fmtSpread(summary.restart.total_s)}; ${fmt(summary.restart.clients_after_ready_s.median)} after the api answered`,
          `${fmt(summary.restart.recovered.median)} / ${n}${summary.restart.recovered.median === n ? ' (same epoch continued)' : ' (the others: new epoch, snapshot)'}`,
          `${fmt(summary.restart.seq_gaps.median)} missing seqs; ${fmt(summary.restart.missed.median)} of ${fmt(summary.restart.expected.median)} live messages not received by sampled clients`,
        ],
      ],
    ),
    '',
    `Rows stored ${stored.rows} of ${stored.sent} published across the restarts (QoS 1, persistent session).`,
  ].join('\n');
  return { name: 'recovery', summary, drops, restarts, markdown: md };
}
