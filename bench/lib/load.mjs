// The load generator (runs pinned to the load core): MQTT device publishers and a fleet of raw WebSocket
// clients in one process, so that publish and receive times come from one clock (performance.now()).
import { RawMqtt } from './raw-mqtt.mjs';
import WebSocket from 'ws';
import { RawWs } from './raw-ws.mjs';
import { now, sleep, waitFor } from './util.mjs';

const TEMPS = [180.5, 195.25, 210, 222.75, 230.5];

/**
 * Device publishers. Every message gets a millisecond timestamp unique on its line (the primary key is
 * (line_id, time)) and its publish time is kept by `${line}|${ISO timestamp}`, the pair the server sends back.
 */
export class Publisher {
  constructor(url, { connections = 4, qos = 1, clientPrefix = 'bench-dev' } = {}) {
    this.url = url;
    this.connections = connections;
    this.qos = qos;
    this.clientPrefix = clientPrefix;
    this.clients = [];
    this.published = new Map();
    this.lastTs = new Map();
    this.sent = 0;
    this.errors = 0;
    this.bumped = 0;
    this.track = true;
  }

  async start() {
    const suffix = Math.random().toString(36).slice(2, 8);
    this.clients = await Promise.all(
      Array.from({ length: this.connections }, (_, i) => new RawMqtt(this.url, `${this.clientPrefix}-${suffix}-${i}`, this.auth ?? {}).connect()),
    );
    return this;
  }

  get acked() {
    return this.clients.reduce((a, c) => a + c.acked, 0);
  }

  /** Forget publish times (between steps) so that the map stays small. */
  reset() {
    this.published.clear();
  }

  publishOne(line, i = this.sent) {
    let ts = Date.now();
    const last = this.lastTs.get(line) ?? 0;
    if (ts <= last) {
      ts = last + 1;
      this.bumped++;
    }
    this.lastTs.set(line, ts);
    const iso = new Date(ts).toISOString();
    if (this.track) this.published.set(`${line}|${iso}`, now());
    const payload = `{"timestamp":${ts},"diameter":${(20 + (i % 100) / 1000).toFixed(3)},"line_speed":12.5,"melt_pressure":181.5,"screw_speed":61.25,"body_temperatures":[${TEMPS.join(',')}]}`;
    const c = this.clients[i % this.clients.length];
    this.sent++;
    c.publish(`plant/lines/${line}/telemetry`, payload, this.qos);
    return ts;
  }

  /**
   * Publishes at `rate` messages/s for `durationMs`, round-robin over `lines`; returns what was sent.
   * Paced by the clock (catches up after a late timer), so the offered load is what was asked for.
   */
  async runRate(rate, durationMs, lines, { shouldStop } = {}) {
    const start = now();
    let n = 0;
    for (;;) {
      const t = now() - start;
      if (t >= durationMs || shouldStop?.()) break;
      const due = Math.floor((t / 1000) * rate);
      if (n < due) {
        this.cork();
        while (n < due) this.publishOne(lines[n % lines.length], n++);
        this.uncork();
      }
      await sleep(rate > 500 ? 1 : 4);
    }
    return { sent: n, seconds: (now() - start) / 1000 };
  }

  /** Publishes `count` messages as fast as the clients take them (yielding every 200). */
  async burst(count, lines) {
    for (let n = 0; n < count; ) {
      this.cork();
      const end = Math.min(count, n + 200);
      for (; n < end; n++) this.publishOne(lines[n % lines.length], n);
      this.uncork();
      await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Publishes `count` readings as fast as the clients take them, `perMessage` readings to a message (the
   * array form of DESIGN.md section 5, stored as backfill): each message holds consecutive milliseconds of
   * one line, lines round-robin. Returns the number of messages.
   */
  async burstBatched(count, lines, perMessage) {
    let messages = 0;
    for (let n = 0; n < count; ) {
      this.cork();
      const end = Math.min(count, n + 200 * perMessage);
      while (n < end) {
        const k = Math.min(perMessage, count - n);
        const line = lines[messages % lines.length];
        const first = Math.max(Date.now(), (this.lastTs.get(line) ?? 0) + 1);
        this.lastTs.set(line, first + k - 1);
        let payload = '[';
        for (let j = 0; j < k; j++) {
          const i = n + j;
          payload += `${j ? ',' : ''}{"timestamp":${first + j},"diameter":${(20 + (i % 100) / 1000).toFixed(3)},"line_speed":12.5,"melt_pressure":181.5,"screw_speed":61.25,"body_temperatures":[${TEMPS.join(',')}]}`;
        }
        this.clients[messages % this.clients.length].publish(`plant/lines/${line}/telemetry`, `${payload}]`, this.qos);
        this.sent++;
        messages++;
        n += k;
      }
      this.uncork();
      await new Promise((r) => setImmediate(r));
    }
    return messages;
  }

  cork() {
    for (const c of this.clients) c.sock.cork();
  }

  uncork() {
    for (const c of this.clients) c.sock.uncork();
  }

  async waitAcked(timeoutMs = 20_000) {
    return waitFor(() => this.acked + this.errors >= this.sent, { timeoutMs });
  }

  async stop() {
    await Promise.all(this.clients.map((c) => c.end()));
  }
}

/**
 * N raw WebSocket clients. All count frames; every `sampleEvery`-th one parses them and records
 * publish-to-receive latency, and what it got per line (for loss and gap checks).
 */
export class Fleet {
  constructor(url, n, { publisher = null, sampleEvery = 10, linesFor = () => null, onFrame = null } = {}) {
    this.url = url;
    this.n = n;
    this.publisher = publisher;
    this.sampleEvery = sampleEvery;
    this.linesFor = linesFor;
    this.onFrame = onFrame;
    this.clients = [];
    this.frames = 0;
    this.latencies = [];
    this.unmatched = 0;
    this.closedUnexpectedly = 0;
    this.closeCodes = {};
    this.recording = true;
  }

  get sampled() {
    return this.clients.filter((c) => c.sampled);
  }

  /** Opens the connections (`concurrency` handshakes at a time); resolves when all are ready. */
  async open({ concurrency = 200, timeoutMs = 60_000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    let next = 0;
    const worker = async () => {
      while (next < this.n) {
        const i = next++;
        this.clients[i] = await this.openOne(i, deadline);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, this.n) }, worker));
  }

  openOne(i, deadline) {
    const lines = this.linesFor(i);
    const c = {
      i,
      sampled: i % this.sampleEvery === 0,
      lines,
      ws: null,
      ready: false,
      frames: 0,
      epoch: null,
      lastSeq: null,
      seqGaps: 0,
      perLine: new Map(),
      closed: false,
    };
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const ws = new RawWs(this.url, {
          onOpen: () => {
            if (lines) ws.send(JSON.stringify({ type: 'subscribe', timestamp: new Date().toISOString(), data: { lines } }));
          },
          // Only what is parsed needs the payload: control frames until ready, then sampled clients.
          wantPayload: () => !c.ready || c.sampled || this.onFrame !== null,
          onFrame: (buf) => this.onMessage(c, buf, resolve),
          onClose: (code, opened) => {
            if (!opened || !c.ready) {
              // Refused or reset during a handshake storm: retry until the deadline.
              if (Date.now() < deadline && !this.stopping) setTimeout(attempt, 50);
              else reject(new Error(`client ${i} could not connect (${code})`));
              return;
            }
            c.closed = true;
            if (!this.stopping) {
              this.closedUnexpectedly++;
              this.closeCodes[code] = (this.closeCodes[code] ?? 0) + 1;
            }
          },
        });
        c.ws = ws;
      };
      attempt();
    });
  }

  onMessage(c, buf, resolveReady) {
    c.frames++;
    if (!c.ready) {
      // Control frames before the stream starts: connected, then subscribed when we asked.
      const m = JSON.parse(buf.toString());
      if (m.type === 'connected') {
        c.epoch = m.data?.epoch ?? null;
        c.lastSeq = m.data?.seq ?? null;
        if (!c.lines) {
          c.ready = true;
          resolveReady(c);
        }
      } else if (m.type === 'subscribed') {
        c.ready = true;
        resolveReady(c);
      } else this.onStream(c, m);
      return;
    }
    this.frames++;
    if (!c.sampled && !this.onFrame) return;
    const m = JSON.parse(buf.toString());
    if (this.onFrame) this.onFrame(c, m);
    if (c.sampled) this.onStream(c, m);
  }

  onStream(c, m) {
    if (m.type === 'batch') {
      for (const inner of m.data.messages) this.onStream(c, inner);
      return;
    }
    if (typeof m.seq === 'number') {
      if (c.lastSeq !== null && m.seq !== c.lastSeq + 1 && !c.lines) c.seqGaps++;
      c.lastSeq = m.seq;
    }
    if (m.type !== 'production_data') return;
    const line = m.data.production_line_id;
    c.perLine.set(line, (c.perLine.get(line) ?? 0) + 1);
    if (!this.recording || !this.publisher) return;
    const t0 = this.publisher.published.get(`${line}|${m.timestamp}`);
    if (t0 === undefined) this.unmatched++;
    else this.latencies.push(now() - t0);
  }

  /** Starts a new measurement window. */
  resetWindow() {
    this.latencies = [];
    this.unmatched = 0;
    for (const c of this.clients) c.perLine.clear();
  }

  async close() {
    this.stopping = true;
    for (const c of this.clients) c?.ws.terminate();
    this.clients = [];
  }
}

/** A client that measures heartbeat round trips (a proxy for the server's event-loop delay). */
export class HeartbeatProbe {
  constructor(url, { everyMs = 100 } = {}) {
    this.url = url;
    this.everyMs = everyMs;
    this.rtts = [];
    this.pending = new Map();
    this.n = 0;
  }

  async start() {
    this.ws = new WebSocket(this.url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    this.ws.on('message', (buf) => {
      const s = buf.toString();
      if (!s.includes('"heartbeat"')) return;
      const m = JSON.parse(s);
      const id = m.data?.request_id ?? m.data?.client_id;
      const t0 = this.pending.get(id);
      if (t0 !== undefined) {
        this.pending.delete(id);
        this.rtts.push(now() - t0);
      }
    });
    this.timer = setInterval(() => {
      const id = `hb-${this.n++}`;
      this.pending.set(id, now());
      this.ws.send(JSON.stringify({ type: 'heartbeat', timestamp: new Date().toISOString(), data: { client_id: id, request_id: id } }));
    }, this.everyMs);
    return this;
  }

  reset() {
    this.rtts = [];
  }

  stop() {
    clearInterval(this.timer);
    this.ws.terminate();
  }
}
