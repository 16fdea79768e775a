// Bare end-to-end gateway: the same work as our api, hand-written in one file with no framework.
// MQTT QoS 1 (persistent session) -> minimal validation (a reading, or an array of readings stored as
// backfill) -> one INSERT ... unnest per batch ON CONFLICT DO
// NOTHING -> after commit: PUBACK, and one frame per committed row, serialised once, written to each
// subscribed client corked (one syscall per client per batch), routed by line.
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt from 'mqtt';
import pg from 'pg';
import { WebSocketServer } from 'ws';

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const registered = new Set((await db.query('SELECT id FROM lines WHERE enabled')).rows.map((r) => r.id));
let ready = false;
let seq = 0;
const stats = { received: 0, stored: 0, messages_sent: 0, dead: 0 };

// Event-loop delay as our api's /health reports it: the last minute, and GET /health/event-loop?window_ms=N
// over the next N ms (what exceeds the 10 ms resolution of the histogram's timer).
const delayMs = (ns) => Math.max(0, Math.round((ns / 1e6 - 10) * 10) / 10);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
setInterval(() => loopDelay.reset(), 60_000).unref();

const http = createServer((req, res) => {
  const windowMs = /^\/health\/event-loop\?window_ms=(\d+)$/.exec(req.url)?.[1];
  if (windowMs) {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    setTimeout(() => {
      h.disable();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ window_ms: Number(windowMs), samples: h.count, event_loop_delay_p50_ms: delayMs(h.percentile(50)), event_loop_delay_p99_ms: delayMs(h.percentile(99)), event_loop_delay_max_ms: delayMs(h.max) }));
    }, Math.min(60_000, Number(windowMs)));
    return;
  }
  res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
  const loop = { event_loop_delay_p99_ms: delayMs(loopDelay.percentile(99)), event_loop_delay_max_ms: delayMs(loopDelay.max) };
  res.end(JSON.stringify({ ...stats, clients: wss.clients.size, queued: pending.length, ...loop }));
});
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
const reply = (ws, type, data) => ws.send(JSON.stringify({ type, timestamp: new Date().toISOString(), data }));

wss.on('connection', (ws) => {
  ws.lines = null; // every line
  reply(ws, 'connected', { epoch: 'bare', seq });
  ws.on('message', (buf) => {
    let m;
    try {
      m = JSON.parse(buf.toString());
    } catch {
      return reply(ws, 'error', { code: 'invalid_json', message: 'not JSON' });
    }
    const d = m.data ?? {};
    if (m.type === 'subscribe') {
      ws.lines = d.lines.includes('*') ? null : new Set(d.lines);
      reply(ws, 'subscribed', { lines: d.lines, request_id: d.request_id });
    } else if (m.type === 'heartbeat') {
      reply(ws, 'heartbeat', { server_time: new Date().toISOString(), client_id: d.client_id ?? null, request_id: d.request_id });
    }
  });
});

// Acknowledge only after commit: mqtt.js would PUBACK before the handler is done, so take over.
const DEFERRED = new Error('ack deferred');
const client = mqtt.connect(process.env.MQTT_URL, { clientId: process.env.MQTT_CLIENT_ID || `bare-gw-${process.pid}`, clean: false });
client.handleMessage = (packet, done) => done(packet.qos === 1 ? DEFERRED : undefined);
client.on('connect', () => {
  // BARE_NODELAY=0: Nagle left on, as mqtt.js does by default (to measure what it costs).
  if (process.env.BARE_NODELAY !== '0') client.stream.setNoDelay(true);
  client.subscribe('plant/lines/+/telemetry', { qos: 1 }, () => (ready = true));
});

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
let pending = [];
let writing = false;

client.on('message', (topic, payload, packet) => {
  stats.received++;
  const line = topic.split('/')[2];
  let v;
  try {
    v = JSON.parse(payload.toString());
  } catch {
    v = null;
  }
  // An array of readings (DESIGN.md section 5) is stored like ours does it: as backfill, not broadcast.
  const backfill = Array.isArray(v);
  const readings = backfill ? v : [v];
  const rows = [];
  for (const r of readings) {
    const time = r && new Date(r.timestamp ?? Date.now());
    if (!r || Number.isNaN(time.getTime())) break;
    const temps = Array.isArray(r.body_temperatures) ? r.body_temperatures.filter((t) => typeof t === 'number') : null;
    rows.push({ line, time, temps, d: num(r.diameter), ls: num(r.line_speed), mp: num(r.melt_pressure), ss: num(r.screw_speed), bf: backfill, id: undefined, qos: 0 });
  }
  if (!registered.has(line) || readings.length === 0 || rows.length !== readings.length) {
    stats.dead++;
    if (packet.qos === 1) client._sendPacket({ cmd: 'puback', messageId: packet.messageId });
    return;
  }
  // The PUBACK rides on the message's last row: batches are written in order, so when it is committed
  // so are the others.
  Object.assign(rows[rows.length - 1], { id: packet.messageId, qos: packet.qos });
  for (const r of rows) pending.push(r);
  if (!writing) setImmediate(flush);
});

async function flush() {
  if (writing || pending.length === 0) return;
  writing = true;
  const batch = pending.splice(0, 2000);
  try {
    const { rows } = await db.query(
      `INSERT INTO telemetry (line_id, time, body_temperatures, diameter, line_speed, melt_pressure, screw_speed)
       SELECT l, t, bt::real[], d, ls, mp, ss FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::float8[], $5::real[], $6::real[], $7::real[])
         AS t(l, t, bt, d, ls, mp, ss)
       ON CONFLICT (line_id, time) DO NOTHING RETURNING line_id, time`,
      [
        batch.map((r) => r.line),
        batch.map((r) => r.time),
        batch.map((r) => (r.temps ? `{${r.temps.join(',')}}` : null)),
        batch.map((r) => r.d),
        batch.map((r) => r.ls),
        batch.map((r) => r.mp),
        batch.map((r) => r.ss),
      ],
    );
    const inserted = new Set(rows.map((r) => `${r.line_id}|${r.time.getTime()}`));
    const frames = [];
    for (const r of batch) {
      if (r.qos === 1) client._sendPacket({ cmd: 'puback', messageId: r.id });
      if (!inserted.delete(`${r.line}|${r.time.getTime()}`)) continue;
      stats.stored++;
      if (r.bf) continue;
      const frame = JSON.stringify({
        type: 'production_data',
        timestamp: r.time.toISOString(),
        seq: ++seq,
        data: { production_line_id: r.line, body_temperatures: r.temps, diameter: r.d, line_speed: r.ls, melt_pressure: r.mp, screw_speed: r.ss },
      });
      frames.push({ line: r.line, frame });
    }
    for (const ws of wss.clients) {
      if (ws.readyState !== 1) continue;
      ws._socket.cork();
      for (const f of frames) {
        if (ws.lines && !ws.lines.has(f.line)) continue;
        ws.send(f.frame);
        stats.messages_sent++;
      }
      ws._socket.uncork();
    }
  } catch (err) {
    // Not acknowledged: the broker redelivers after a reconnect. Put the rows back and retry.
    pending = batch.concat(pending);
    console.error(`insert failed: ${err.message}`);
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    writing = false;
    if (pending.length) setImmediate(flush);
  }
}

http.listen(Number(process.env.PORT), '127.0.0.1');
