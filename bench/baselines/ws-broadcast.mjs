// Bare fan-out baseline: MQTT (QoS 0) in, one JSON.stringify per message, `ws` send to every client.
// What a hand-written broadcast server does, with nothing else: the ceiling our gateway is measured against.
import { createServer } from 'node:http';
import mqtt from 'mqtt';
import { WebSocketServer } from 'ws';

let ready = false;
const http = createServer((req, res) => {
  res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ clients: wss.clients.size, messages_sent: sent }));
});
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
let seq = 0;
let sent = 0;

wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'connected', timestamp: new Date().toISOString(), data: { epoch: 'bare', seq } }));
});

const client = mqtt.connect(process.env.MQTT_URL, { clientId: `bare-ws-${process.pid}`, clean: true });
client.on('connect', () => {
  client.stream.setNoDelay(true);
  client.subscribe('plant/lines/+/telemetry', { qos: 0 }, () => (ready = true));
});
client.on('message', (topic, payload) => {
  const line = topic.split('/')[2];
  const { timestamp, ...values } = JSON.parse(payload.toString());
  const frame = JSON.stringify({
    type: 'production_data',
    timestamp: new Date(timestamp).toISOString(),
    seq: ++seq,
    data: { production_line_id: line, ...values },
  });
  if (CORK) {
    // Coalesced per event-loop turn: every frame of the turn leaves in one corked write per client.
    turn.push(frame);
    if (turn.length === 1) setImmediate(flush);
    return;
  }
  for (const ws of wss.clients) {
    ws.send(frame);
    sent++;
  }
});

// BARE_CORK=1: the same server with the one technique that matters for small frames (TOOLCHAIN.md).
const CORK = process.env.BARE_CORK === '1';
let turn = [];
function flush() {
  const frames = turn;
  turn = [];
  for (const ws of wss.clients) {
    ws._socket.cork();
    for (const f of frames) ws.send(f);
    ws._socket.uncork();
    sent += frames.length;
  }
}

http.listen(Number(process.env.PORT), '127.0.0.1');
