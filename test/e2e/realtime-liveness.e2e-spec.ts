import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ WS_PING_INTERVAL_MS: '100' });
}, 60_000);

afterAll(async () => {
  await api?.stop();
});

describe('WebSocket liveness', () => {
  it('terminates a connection that stops answering pings, and keeps one that answers', async () => {
    const healthy = await TestWsClient.connect(api.wsUrl);
    // A peer whose network died looks like this: the socket is open, pings get no pong.
    const dead = new WebSocket(api.wsUrl, { autoPong: false });
    let pings = 0;
    dead.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => dead.once('close', (code) => resolve(code)));
    await new Promise((r) => dead.once('open', r));
    const code = await closed;
    expect(code).toBe(1006); // terminated, no close handshake
    expect(pings).toBeGreaterThanOrEqual(2);

    const before = healthy.frames.length;
    healthy.send({ type: 'heartbeat', timestamp: new Date().toISOString(), data: { request_id: 'alive' } });
    await healthy.next((f) => f.type === 'heartbeat', 'heartbeat answer', 5000, before);
    expect(healthy.closed).toBeNull();
    await waitFor(async () => {
      const h = (await (await fetch(`${api.httpUrl}/health/websocket`)).json()) as { active_connections: number };
      return h.active_connections === 1 || undefined;
    }, 'only the healthy connection left');
    await healthy.close();
  });
});
