import { afterEach, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import type { ServerMessage } from '@lm/protocol';
import { RealtimeClient, type ConnectionState, type RealtimeClientOptions } from '@lm/client';
import { APP_CONFIG, type AppConfig } from '../../apps/api/src/config/app-config';
import type { Connection } from '../../apps/api/src/realtime/connection';
import { RealtimeService } from '../../apps/api/src/realtime/realtime.service';
import { startTestApi, type TestApi } from '../support/api';
import { freePort } from '../support/ports';
import { waitFor } from '../support/waiting';

// Small delays so reconnects happen within a test; every wait is for an event or a condition.
const FAST: Partial<RealtimeClientOptions> = {
  WebSocket,
  minReconnectionDelay: 50,
  reconnectionJitterMs: 20,
  maxReconnectionDelay: 300,
  connectionTimeout: 1000,
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function api(env: Record<string, string> = {}): Promise<TestApi> {
  const a = await startTestApi(env);
  cleanups.push(() => a.stop());
  return a;
}

function client(url: string, options: Partial<RealtimeClientOptions> = {}): RealtimeClient {
  const c = new RealtimeClient({ url, ...FAST, ...options });
  cleanups.push(() => c.close());
  return c;
}

function untilState(c: RealtimeClient, state: ConnectionState, timeoutMs = 10_000): Promise<void> {
  if (c.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${state} (now ${c.state})`));
    }, timeoutMs);
    const off = c.on('state', (change) => {
      if (change.state !== state) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Publishes production_data (and now and then a line_status) through the real hub, on a timer. */
function flow(hub: RealtimeService, everyMs = 2): () => void {
  let i = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < 3; k++) {
      const line = String((i++ % 8) + 1);
      const now = new Date().toISOString();
      if (i % 25 === 0) hub.publish('line_status', { production_line_id: line, state: 'running', since: now }, line, now);
      else
        hub.publish(
          'production_data',
          { production_line_id: line, body_temperatures: [180, 190], diameter: i, line_speed: 12, melt_pressure: 200, screw_speed: 80 },
          line,
          now,
        );
    }
  }, everyMs);
  return () => clearInterval(timer);
}

/** Every stream seq the client delivers to its listeners, in delivery order. */
function recordSeqs(c: RealtimeClient): number[] {
  const seqs: number[] = [];
  c.on('message', (m: ServerMessage) => {
    if ('seq' in m && typeof m.seq === 'number') seqs.push(m.seq);
  });
  return seqs;
}

function expectConsecutive(seqs: number[]): void {
  expect(seqs.length).toBeGreaterThan(0);
  const expected = Array.from({ length: seqs.length }, (_, i) => seqs[0] + i);
  expect(seqs).toEqual(expected);
}

function serverConnections(hub: RealtimeService): Set<Connection> {
  return (hub as unknown as { connections: Set<Connection> }).connections;
}

const hubSeq = (hub: RealtimeService): number => hub.health().seq as number;

describe('RealtimeClient against the real server', () => {
  it('loses nothing and duplicates nothing when its connection drops while data flows (batched)', async () => {
    const a = await api();
    const hub = a.app.get(RealtimeService);
    const c = client(a.wsUrl);
    await c.ready();
    c.subscribe({ lines: ['*'], batch_ms: 20 });
    const seqs = recordSeqs(c);
    const resumed: boolean[] = [];
    c.on('resumed', (d) => resumed.push(d.recovered));
    const stop = flow(hub);
    try {
      await waitFor(() => seqs.length > 50, 'data flowing');
      // Dropped by the network (server side), then by the client itself, while data keeps coming.
      for (const conn of serverConnections(hub)) conn.sink.close(1006, 'test: network drop');
      await waitFor(() => resumed.length === 1 && c.state === 'live', 'first resume');
      const n = seqs.length;
      await waitFor(() => seqs.length > n + 50, 'data flowing again');
      c.reconnect('test: client drop');
      await waitFor(() => resumed.length === 2 && c.state === 'live', 'second resume');
      const m = seqs.length;
      await waitFor(() => seqs.length > m + 50, 'data flowing after the second resume');
    } finally {
      stop();
    }
    const last = hubSeq(hub);
    await waitFor(() => seqs[seqs.length - 1] === last, 'the last message');
    expect(resumed).toEqual([true, true]);
    expectConsecutive(seqs);
  }, 30_000);

  it('survives an api restart on the same ports: recovered false, snapshot reloaded, live again', async () => {
    const [PORT, MQTT_PORT] = [String(await freePort()), String(await freePort())];
    const first = await startTestApi({ PORT, MQTT_PORT });
    let firstStopped = false;
    cleanups.push(() => (firstStopped ? undefined : first.stop()));
    const c = client(first.wsUrl);
    await c.ready();
    const firstEpoch = c.epoch;
    const states: ConnectionState[] = [];
    c.on('state', (s) => states.push(s.state));
    const snapshots: unknown[] = [];
    c.on('snapshot', (s) => snapshots.push(s));
    const resumed: boolean[] = [];
    c.on('resumed', (d) => resumed.push(d.recovered));

    await first.stop();
    firstStopped = true;
    await untilState(c, 'reconnecting');
    await api({ PORT, MQTT_PORT });
    await waitFor(() => c.state === 'live' && snapshots.length > 0, 'live on the new api with a snapshot', 20_000);
    expect(c.epoch).not.toBe(firstEpoch);
    expect(resumed).toEqual([false]);
    expect(states).toEqual(expect.arrayContaining(['reconnecting', 'recovering', 'live']));
  }, 60_000);

  it('falls back to SSE when WebSocket upgrades are refused, and returns to WebSocket without a gap', async () => {
    const a = await api({ WS_ENABLED: 'false' });
    const hub = a.app.get(RealtimeService);
    const c = client(a.wsUrl, { fallbackAfterFailures: 2 });
    const seqs = recordSeqs(c);
    await untilState(c, 'fallback');
    await waitFor(() => c.server !== null && c.transport === 'sse', 'connected over SSE');
    expect(() => c.send('request_status', {})).toThrow(/not live/);

    const stop = flow(hub, 5);
    try {
      await waitFor(() => seqs.length > 30, 'data over SSE');
      // The network lets WebSocket through again: the client's periodic retry finds it.
      a.app.get<symbol, AppConfig>(APP_CONFIG).realtime.wsEnabled = true;
      await untilState(c, 'live', 15_000);
      expect(c.transport).toBe('websocket');
      const n = seqs.length;
      await waitFor(() => seqs.length > n + 30, 'data over WebSocket');
    } finally {
      stop();
    }
    const last = hubSeq(hub);
    await waitFor(() => seqs[seqs.length - 1] === last, 'the last message');
    expectConsecutive(seqs);
  }, 30_000);
});
