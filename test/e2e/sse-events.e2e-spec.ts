import { request, type IncomingMessage } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CloseCode, type Envelope } from '@lm/protocol';
import { RealtimeService } from '../../apps/api/src/realtime/realtime.service';
import { startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';

let api: TestApi;
let hub: RealtimeService;
const open: SseReader[] = [];

beforeAll(async () => {
  api = await startTestApi({ SSE_KEEPALIVE_MS: '200', WS_MAX_CONNECTIONS: '3', WS_REPLAY_BUFFER: '100' });
  hub = api.app.get(RealtimeService);
}, 60_000);

afterEach(() => {
  for (const r of open.splice(0)) r.close();
});

afterAll(async () => {
  await api?.stop();
});

interface SseEvent {
  id?: string;
  data: Envelope & { seq?: number };
}

/** A raw SSE reader over node:http: records headers, comments and events exactly as sent. */
class SseReader {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  res!: IncomingMessage;
  body = '';
  private req!: ReturnType<typeof request>;

  static async open(path: string, headers: Record<string, string> = {}): Promise<SseReader> {
    const r = new SseReader();
    open.push(r);
    await new Promise<void>((resolve, reject) => {
      r.req = request(`${api.httpUrl}${path}`, { headers }, (res) => {
        r.res = res;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          r.body += chunk;
          buf += chunk;
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            const ev: { id?: string; data?: string } = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) r.comments.push(line.slice(1).trim());
              else if (line.startsWith('id: ')) ev.id = line.slice(4);
              else if (line.startsWith('data: ')) ev.data = line.slice(6);
            }
            if (ev.data !== undefined) r.events.push({ id: ev.id, data: JSON.parse(ev.data) as SseEvent['data'] });
          }
        });
        resolve();
      });
      r.req.on('error', reject);
      r.req.end();
    });
    return r;
  }

  next(match: (e: SseEvent) => boolean, what: string): Promise<SseEvent> {
    return waitFor(() => this.events.find(match), what, 5000);
  }

  close(): void {
    this.req.destroy();
  }
}

function publish(line: string): number {
  hub.publish(
    'production_data',
    { production_line_id: line, body_temperatures: [200], diameter: 20, line_speed: 10, melt_pressure: null, screw_speed: null },
    line,
    new Date().toISOString(),
  );
  return hub.health().seq as number;
}

describe('GET /api/events (Server-Sent Events)', () => {
  it('streams the same envelopes with id: = seq, through buffering proxies, filtered by the query', async () => {
    const all = await SseReader.open('/api/events');
    const some = await SseReader.open('/api/events?lines=2&channels=production_data');
    expect(all.res.statusCode).toBe(200);
    expect(all.res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(all.res.headers['x-accel-buffering']).toBe('no');
    expect(all.res.headers['cache-control']).toMatch(/no-cache/);
    const connected = await all.next((e) => e.data.type === 'connected', 'connected');
    expect(connected.id).toBeUndefined();
    expect(connected.data.data).toMatchObject({ epoch: hub.epoch });
    await some.next((e) => e.data.type === 'connected', 'connected (filtered)');

    const s1 = publish('1');
    const s2 = publish('2');
    const e2 = await some.next((e) => e.data.seq === s2, 'line 2 on the filtered stream');
    expect(e2.id).toBe(String(s2));
    const e1 = await all.next((e) => e.data.seq === s1, 'line 1 on the full stream');
    expect(e1).toMatchObject({ id: String(s1), data: { type: 'production_data', seq: s1, data: { production_line_id: '1' } } });
    await all.next((e) => e.data.seq === s2, 'line 2 on the full stream');
    expect(some.events.some((e) => e.data.seq === s1)).toBe(false);

    // Keep-alive comments on an interval, so a proxy never sees an idle stream.
    await waitFor(() => all.comments.includes('keep-alive') || undefined, 'a keep-alive comment');
  });

  it('resumes from Last-Event-ID: the missed messages in order, then resumed', async () => {
    const last = publish('3');
    const missed = [publish('3'), publish('4'), publish('3')];
    const r = await SseReader.open('/api/events?lines=3', { 'Last-Event-ID': String(last) });
    const resumed = await r.next((e) => e.data.type === 'resumed', 'resumed');
    expect(resumed.data.data).toMatchObject({ recovered: true });
    const replayed = r.events.filter((e) => e.data.type === 'production_data').map((e) => Number(e.id));
    expect(replayed).toEqual([missed[0], missed[2]]);
    const other = await SseReader.open('/api/events?epoch=not-this-one&last_event_id=1');
    expect((await other.next((e) => e.data.type === 'resumed', 'resumed (other epoch)')).data.data).toMatchObject({ recovered: false });
  });

  it('authenticates like the WebSocket: bad token 401, foreign Origin 403, as {detail}', async () => {
    const badToken = await fetch(`${api.httpUrl}/api/events?token=not-a-token`);
    expect(badToken.status).toBe(401);
    expect(await badToken.json()).toEqual({ detail: expect.any(String) });
    const badHeader = await fetch(`${api.httpUrl}/api/events`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(badHeader.status).toBe(401);
    const foreign = await fetch(`${api.httpUrl}/api/events`, { headers: { origin: 'https://evil.example.com' } });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({ detail: expect.any(String) });
  });

  it('refuses a bad query with 422 {detail: [...]}', async () => {
    const res = await fetch(`${api.httpUrl}/api/events?channels=bogus`);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: { loc: string[] }[] };
    expect(body.detail[0].loc).toEqual(['query', 'channels']);
  });

  it('shares the connection limit with WebSocket: 4429 with a retry hint, 429 over SSE', async () => {
    const held = [await SseReader.open('/api/events'), await SseReader.open('/api/events'), await SseReader.open('/api/events')];
    await waitFor(() => (hub.health().active_connections as number) >= 3 || undefined, 'three connections');
    const ws = await TestWsClient.connect(api.wsUrl);
    const closed = await waitFor(() => ws.closed ?? undefined, 'refused WebSocket');
    expect(closed.code).toBe(CloseCode.TOO_MANY_CONNECTIONS);
    expect(closed.reason).toMatch(/retry after \d+ s/);
    const res = await fetch(`${api.httpUrl}/api/events`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).toEqual({ detail: expect.stringMatching(/too many connections/) });
    held.forEach((r) => r.close());
  });
});
