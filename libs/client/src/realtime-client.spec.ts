import { afterEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { CloseCode, PROTOCOL_VERSION, type ServerDataMap, type ServerType } from '@lm/protocol';
import { NotLiveError, RealtimeClient, type ConnectionState, type RealtimeClientOptions, type StateChange } from '@lm/client';

// Small intervals so reconnects and watchdogs happen within a test; every wait is for an event.
const FAST: Partial<RealtimeClientOptions> = {
  minReconnectionDelay: 30,
  reconnectionJitterMs: 20,
  maxReconnectionDelay: 200,
  connectionTimeout: 500,
  // These tests are about the WebSocket; the SSE fallback is tested against the real server (e2e).
  sseUrl: null,
};
const WAIT_MS = 5000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

interface TestServer {
  wss: WebSocketServer;
  url: string;
  /** Frames received from clients, parsed. */
  received: { type: string; data: Record<string, unknown> }[];
}

type ServerBehaviour = {
  /** Send `connected` on connection (default true). */
  greet?: boolean;
  /** Answer `heartbeat` frames (default true). */
  answerHeartbeats?: boolean;
};

let epochCounter = 0;

async function startServer(behaviour: ServerBehaviour = {}): Promise<TestServer> {
  const wss = new WebSocketServer({ port: 0, path: '/ws' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as AddressInfo).port;
  const server: TestServer = { wss, url: `ws://127.0.0.1:${port}/ws`, received: [] };
  const epoch = `epoch-${++epochCounter}`;
  let clientNo = 0;
  wss.on('connection', (socket) => {
    const clientId = `c${++clientNo}`;
    if (behaviour.greet !== false) {
      socket.send(frame('connected', {
        client_id: clientId,
        protocol_version: PROTOCOL_VERSION,
        server_time: new Date().toISOString(),
        heartbeat_interval_ms: 30_000,
        epoch,
        seq: 41,
        user: null,
      }));
    }
    socket.on('message', (raw) => {
      const msg = JSON.parse((raw as Buffer).toString('utf8')) as { type: string; data: Record<string, unknown> };
      server.received.push(msg);
      server.wss.emit('client-frame', msg);
      if (msg.type === 'heartbeat' && behaviour.answerHeartbeats !== false) {
        socket.send(frame('heartbeat', { server_time: new Date().toISOString(), client_id: clientId }));
      }
      if (msg.type === 'resume') socket.send(frame('resumed', { recovered: false, epoch, seq: 41 }));
    });
  });
  cleanups.push(() => closeServer(wss));
  return server;
}

function frame<K extends ServerType>(type: K, data: ServerDataMap[K], seq?: number): string {
  return JSON.stringify({ type, timestamp: new Date().toISOString(), data, ...(seq === undefined ? {} : { seq }) });
}

function production(lineId: string, diameter = 25.01): ServerDataMap['production_data'] {
  return { production_line_id: lineId, body_temperatures: [180, 190, 200], diameter, line_speed: 12, melt_pressure: 210, screw_speed: 80 };
}

function closeServer(wss: WebSocketServer): Promise<void> {
  for (const c of wss.clients) c.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

function newClient(url: string, options: Partial<RealtimeClientOptions> = {}): RealtimeClient {
  const client = new RealtimeClient({ url, WebSocket, ...FAST, ...options });
  cleanups.push(() => client.close());
  return client;
}

/** Resolves with the first state change matching `state`; rejects after a timeout. */
function nextState(client: RealtimeClient, state: ConnectionState, timeoutMs = WAIT_MS): Promise<StateChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for state ${state} (now ${client.state})`));
    }, timeoutMs);
    const off = client.on('state', (change) => {
      if (change.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(change);
    });
  });
}

function nextConnection(wss: WebSocketServer, timeoutMs = WAIT_MS): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for a connection')), timeoutMs);
    wss.once('connection', (socket: WebSocket) => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

function nextClientFrame(wss: WebSocketServer, type: string, timeoutMs = WAIT_MS): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      wss.off('client-frame', onFrame);
      reject(new Error(`timed out waiting for a ${type} frame`));
    }, timeoutMs);
    const onFrame = (msg: { type: string; data: Record<string, unknown> }): void => {
      if (msg.type !== type) return;
      clearTimeout(timer);
      wss.off('client-frame', onFrame);
      resolve(msg.data);
    };
    wss.on('client-frame', onFrame);
  });
}

describe(RealtimeClient.name, () => {
  it('connects, goes live on `connected` and keeps epoch and seq', async () => {
    const server = await startServer();
    const client = newClient(server.url);
    expect(client.state).toBe('connecting');

    const live = await nextState(client, 'live');
    expect(live).toMatchObject({ previous: 'connecting', reason: 'connected' });
    expect(client.isLive).toBe(true);
    expect(client.epoch).toMatch(/^epoch-/);
    expect(client.seq).toBe(41);
    expect(client.server?.client_id).toBe('c1');
    expect(client.lastMessageAt).not.toBeNull();
  });

  it('delivers typed per-type events, tracks seq and per-line freshness, unwraps batches', async () => {
    const server = await startServer();
    const socketP = nextConnection(server.wss);
    const client = newClient(server.url);
    const socket = await socketP;
    await nextState(client, 'live');

    const got: { line: string; diameter: number | null; seq?: number }[] = [];
    const done = new Promise<void>((resolve) => {
      client.on('production_data', (data, envelope) => {
        got.push({ line: data.production_line_id, diameter: data.diameter, seq: envelope.seq });
        if (got.length === 3) resolve();
      });
    });
    expect(client.lastSeen('7')).toBeUndefined();
    socket.send(JSON.stringify({ type: 'from_the_future', timestamp: new Date().toISOString(), data: {} }));
    socket.send(frame('production_data', production('7', 25.123), 42));
    socket.send(JSON.stringify({
      type: 'batch',
      timestamp: new Date().toISOString(),
      data: { messages: [JSON.parse(frame('production_data', production('8'), 43)), JSON.parse(frame('production_data', production('7'), 44))] },
    }));
    await done;

    expect(got).toEqual([
      { line: '7', diameter: 25.123, seq: 42 },
      { line: '8', diameter: 25.01, seq: 43 },
      { line: '7', diameter: 25.01, seq: 44 },
    ]);
    expect(client.seq).toBe(44);
    expect(client.lastSeen('7')).toBeGreaterThan(0);
    expect(client.seenLines().sort()).toEqual(['7', '8']);
  });

  it('goes reconnecting when the server drops the socket, then live again on its own', async () => {
    const server = await startServer();
    const firstP = nextConnection(server.wss);
    const client = newClient(server.url);
    const first = await firstP;
    await nextState(client, 'live');

    const reconnecting = nextState(client, 'reconnecting');
    const secondP = nextConnection(server.wss);
    first.terminate();
    expect((await reconnecting).previous).toBe('live');
    expect(client.isLive).toBe(false);

    await secondP;
    const live = await nextState(client, 'live');
    expect(live.previous).toBe('recovering');
    expect(client.server?.client_id).toBe('c2');
  });

  it('keeps retrying while the server is down and goes live when it is back', async () => {
    const server = await startServer();
    const port = (server.wss.address() as AddressInfo).port;
    const client = newClient(server.url);
    await nextState(client, 'live');

    const reconnecting = nextState(client, 'reconnecting');
    await closeServer(server.wss);
    await reconnecting;

    // Same port again: the client must find it without being told.
    const back = new WebSocketServer({ port, path: '/ws' });
    cleanups.push(() => closeServer(back));
    back.on('connection', (s) => {
      s.send(frame('connected', {
        client_id: 'back', protocol_version: PROTOCOL_VERSION, server_time: new Date().toISOString(),
        heartbeat_interval_ms: 30_000, epoch: 'epoch-restarted', seq: 0, user: null,
      }));
      // A restarted server cannot fill the gap: the client must ask for a snapshot.
      s.on('message', (raw) => {
        const m = JSON.parse((raw as Buffer).toString('utf8')) as { type: string };
        if (m.type === 'resume') s.send(frame('resumed', { recovered: false, epoch: 'epoch-restarted', seq: 0 }));
        if (m.type === 'request_latest') back.emit('snapshot-requested');
      });
    });
    const snapshotRequested = new Promise<void>((resolve) => back.once('snapshot-requested', () => resolve()));
    const recovering = nextState(client, 'recovering');
    await recovering;
    await nextState(client, 'live');
    await snapshotRequested;
    expect(client.epoch).toBe('epoch-restarted');
  });

  it('send fails fast when not live, and works when live', async () => {
    // Nothing listens on this port: the client can only be connecting or reconnecting.
    const unused = await freePort();
    const offline = newClient(`ws://127.0.0.1:${unused}/ws`);
    expect(() => offline.send('subscribe', { lines: ['*'] })).toThrow(NotLiveError);
    expect(() => offline.send('subscribe', { lines: ['*'] })).toThrow(/connecting, not live/);

    const server = await startServer();
    const client = newClient(server.url);
    await nextState(client, 'live');
    const frameP = nextClientFrame(server.wss, 'subscribe');
    client.send('subscribe', { lines: ['1', '2'], request_id: 'r1' });
    expect(await frameP).toEqual({ lines: ['1', '2'], request_id: 'r1' });

    client.close();
    expect(client.state).toBe('offline');
    expect(() => client.send('request_status', {})).toThrow(NotLiveError);
  });

  it('does not replay a command refused while offline once it reconnects', async () => {
    const server = await startServer();
    const firstP = nextConnection(server.wss);
    const client = newClient(server.url);
    const first = await firstP;
    await nextState(client, 'live');

    const reconnecting = nextState(client, 'reconnecting');
    first.terminate();
    await reconnecting;
    expect(() => client.send('alarm_ack', { alarm_id: 'a1' })).toThrow(NotLiveError);
    await nextState(client, 'live');

    // A command sent now must be the first alarm_ack the server ever sees.
    const ackP = nextClientFrame(server.wss, 'alarm_ack');
    client.send('alarm_ack', { alarm_id: 'a2' });
    expect(await ackP).toEqual({ alarm_id: 'a2' });
    expect(server.received.filter((m) => m.type === 'alarm_ack')).toHaveLength(1);
  });

  it('sends heartbeats and stays live while they are answered', async () => {
    const server = await startServer();
    const client = newClient(server.url, { heartbeatIntervalMs: 60, heartbeatTimeoutMs: 50 });
    await nextState(client, 'live');
    const states: ConnectionState[] = [];
    client.on('state', (c) => states.push(c.state));

    // Five answered rounds span more than two intervals of the silence watchdog.
    for (let i = 0; i < 5; i++) {
      const hb = await nextClientFrame(server.wss, 'heartbeat');
      expect(hb).toEqual({ client_id: 'c1' });
    }
    expect(states).toEqual([]);
    expect(client.state).toBe('live');
  });

  it('watchdog reconnects when the server goes silent', async () => {
    // Heartbeats unanswered and no data: the silence rule (2 intervals) fires first.
    const server = await startServer({ answerHeartbeats: false });
    const firstP = nextConnection(server.wss);
    const client = newClient(server.url, { heartbeatIntervalMs: 80, heartbeatTimeoutMs: 10_000 });
    const first = await firstP;
    await nextState(client, 'live');

    const secondP = nextConnection(server.wss);
    const reconnecting = await nextState(client, 'reconnecting');
    expect(reconnecting.reason).toMatch(/watchdog: no message for 160 ms/);
    await secondP;
    await nextState(client, 'live');
    expect(first.readyState).not.toBe(WebSocket.OPEN);
  });

  it('watchdog reconnects when a heartbeat gets no answer even though data still flows', async () => {
    const server = await startServer({ answerHeartbeats: false });
    const firstP = nextConnection(server.wss);
    const client = newClient(server.url, { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 60 });
    const first = await firstP;
    await nextState(client, 'live');
    // Keep data flowing so only the heartbeat rule can fire.
    const pump = setInterval(() => first.readyState === WebSocket.OPEN && first.send(frame('production_data', production('1'))), 20);
    cleanups.push(() => clearInterval(pump));

    const reconnecting = await nextState(client, 'reconnecting');
    expect(reconnecting.reason).toMatch(/heartbeat unanswered/);
    await nextState(client, 'live');
  });

  it('survives connection timeouts (server accepts TCP but never answers the upgrade)', async () => {
    const sockets: Socket[] = [];
    let attempts = 0;
    let onAttempt: () => void = () => undefined;
    const blackhole: Server = createServer((s) => {
      sockets.push(s);
      attempts++;
      onAttempt();
    });
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      blackhole.close(() => resolve());
    }));
    const port = (blackhole.address() as AddressInfo).port;

    const threeAttempts = new Promise<void>((resolve) => {
      onAttempt = () => attempts >= 3 && resolve();
    });
    const client = newClient(`ws://127.0.0.1:${port}/ws`, { connectionTimeout: 100 });
    const reconnecting = nextState(client, 'reconnecting');
    await threeAttempts;
    expect((await reconnecting).previous).toBe('connecting');
    expect(client.state).toBe('reconnecting');
  });

  it('goes offline and stops retrying when the server refuses with 4401', async () => {
    const server = await startServer({ greet: false });
    server.wss.on('connection', (s) => s.close(CloseCode.UNAUTHENTICATED, 'token expired'));
    const client = newClient(server.url);
    const offline = await nextState(client, 'offline');
    expect(offline.closeCode).toBe(4401);
    expect(offline.reason).toMatch(/refused by server \(4401: token expired\)/);
    await expect(client.ready(100)).rejects.toThrow(/offline/);
  });

  it('ready() resolves once live', async () => {
    const server = await startServer();
    const client = newClient(server.url);
    await expect(client.ready(WAIT_MS)).resolves.toBeUndefined();
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
