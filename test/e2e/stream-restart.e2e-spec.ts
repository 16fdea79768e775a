import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { CloseCode, type ServerMessage } from '@lm/protocol';
import { RealtimeClient } from '@lm/client';
import { startEmbeddedBroker } from '../../apps/api/src/broker/embedded-broker';
import { RealtimeService } from '../../apps/api/src/realtime/realtime.service';
import { startTestApi, type TestApi } from '../support/api';
import { createTestDatabase } from '../support/database';
import { freePort } from '../support/ports';
import { waitFor } from '../support/waiting';

// libs/client, unchanged, against the two ways the stream restarts (issue 9): a graceful api restart
// continues it; RealtimeService.restartStream() abandons it.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function client(url: string): { c: RealtimeClient; seqs: number[]; resumed: boolean[] } {
  const c = new RealtimeClient({ url, WebSocket, minReconnectionDelay: 50, reconnectionJitterMs: 20, maxReconnectionDelay: 300, connectionTimeout: 1000 });
  cleanups.push(() => c.close());
  const seqs: number[] = [];
  const resumed: boolean[] = [];
  c.on('message', (m: ServerMessage) => {
    if ('seq' in m && typeof m.seq === 'number') seqs.push(m.seq);
  });
  c.on('resumed', (d) => resumed.push(d.recovered));
  return { c, seqs, resumed };
}

function publish(hub: RealtimeService, n: number): void {
  for (let i = 0; i < n; i++) {
    const now = new Date().toISOString();
    hub.publish('production_data', { production_line_id: '1', body_temperatures: null, diameter: i, line_speed: 12, melt_pressure: null, screw_speed: null }, '1', now);
  }
}

const hubSeq = (hub: RealtimeService): number => hub.health().seq as number;

type SseResume = { ids: number[]; resumed: { recovered: boolean; epoch: string } };

/** Opens GET /api/events with a Last-Event-ID and reads it up to `resumed`: the replayed ids and the answer. */
async function sseResume(httpUrl: string, lastEventId: number): Promise<SseResume> {
  let text = '';
  const req = get(`${httpUrl}/api/events`, { headers: { 'Last-Event-ID': String(lastEventId) } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
  });
  req.on('error', () => undefined);
  try {
    return await waitFor(() => {
      const events = text.split('\n\n').filter((b) => b.includes('data: '));
      const parsed = events.map((b) => ({ id: /^id: (\d+)$/m.exec(b)?.[1], data: JSON.parse(/^data: (.*)$/m.exec(b)![1]) as { type: string; data: SseResume['resumed'] } }));
      const resumed = parsed.find((e) => e.data.type === 'resumed');
      return resumed && { ids: parsed.filter((e) => e.id !== undefined).map((e) => Number(e.id)), resumed: resumed.data.data };
    }, 'resumed over SSE');
  } finally {
    req.destroy();
  }
}

/**
 * The first api on a database of its own, and a broker of its own that outlives it (as in production:
 * with the embedded broker an api restart restarts the broker too, and the stream starts anew);
 * `restart()` stops it gracefully and starts the next on the same database, broker and port.
 */
async function restartable(): Promise<{ first: TestApi; restart(): Promise<TestApi> }> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const service = { username: 'api-test', password: randomBytes(12).toString('hex') };
  const broker = await startEmbeddedBroker(0, { service, devices: [] }, { host: '127.0.0.1' });
  cleanups.push(() => broker.stop());
  const env = {
    PORT: String(await freePort()),
    DATABASE_URL: db.url,
    MQTT_URL: `mqtt://127.0.0.1:${broker.port}`,
    MQTT_USERNAME: service.username,
    MQTT_PASSWORD: service.password,
  };
  const first = await startTestApi(env);
  let firstStopped = false;
  cleanups.push(() => (firstStopped ? undefined : first.stop()));
  return {
    first,
    restart: async () => {
      await first.stop();
      firstStopped = true;
      const next = await startTestApi(env);
      cleanups.push(() => next.stop());
      return next;
    },
  };
}

describe('the live stream across restarts, with libs/client', () => {
  it('a graceful api restart on the same database continues the epoch: recovered, no gap, nothing twice', async () => {
    const { first, restart } = await restartable();
    const { c, seqs, resumed } = client(first.wsUrl);
    await c.ready();
    const epoch = c.epoch;
    const hub1 = first.app.get(RealtimeService);
    publish(hub1, 20);
    await waitFor(() => seqs.at(-1) === hubSeq(hub1), 'the first messages');
    // Published after the client last heard from this api (it is closing): only the replay can deliver them.
    hub1.beforeApplicationShutdown();
    publish(hub1, 5);

    const second = await restart();
    const hub2 = second.app.get(RealtimeService);
    expect(hub2.epoch).toBe(epoch);
    publish(hub2, 10);

    await waitFor(() => resumed.length === 1 && c.state === 'live' && seqs.at(-1) === hubSeq(hub2), 'resumed and live on the new api', 20_000);
    expect(resumed).toEqual([true]);
    expect(c.epoch).toBe(epoch);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
  }, 60_000);

  it('over SSE, a Last-Event-ID (no epoch) resumes across a graceful restart, and not across restartStream', async () => {
    const { first, restart } = await restartable();
    const hub1 = first.app.get(RealtimeService);
    publish(hub1, 5);
    const lastSeen = hubSeq(hub1) - 3;

    const second = await restart();
    const hub2 = second.app.get(RealtimeService);
    const across = await sseResume(second.httpUrl, lastSeen);
    expect(across.resumed).toMatchObject({ recovered: true, epoch: hub1.epoch });
    expect(across.ids).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3]);

    hub2.restartStream('test');
    const abandoned = await sseResume(second.httpUrl, hubSeq(hub2));
    expect(abandoned.resumed).toMatchObject({ recovered: false, epoch: hub2.epoch });
    expect(abandoned.ids).toEqual([]);
  }, 60_000);

  it('restartStream closes clients with 1012; they reconnect, resume with recovered: false and reload a snapshot', async () => {
    const a = await startTestApi();
    cleanups.push(() => a.stop());
    const hub = a.app.get(RealtimeService);
    const { c, resumed } = client(a.wsUrl);
    const closes: (number | undefined)[] = [];
    c.on('state', (s) => s.closeCode !== undefined && closes.push(s.closeCode));
    const snapshots: unknown[] = [];
    c.on('snapshot', (s) => snapshots.push(s));
    await c.ready();
    const epoch = c.epoch;
    publish(hub, 3);

    hub.restartStream('test: missed messages from a peer');

    await waitFor(() => resumed.length === 1 && snapshots.length > 0 && c.state === 'live', 'live again after the restart', 20_000);
    expect(closes).toContain(CloseCode.SERVICE_RESTART);
    expect(resumed).toEqual([false]);
    expect(c.epoch).toBe(hub.epoch);
    expect(c.epoch).not.toBe(epoch);
  }, 30_000);
});
