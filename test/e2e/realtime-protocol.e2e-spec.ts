import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { CloseCode, ErrorCode, MAX_CLIENT_FRAME_BYTES, PROTOCOL_VERSION, type Envelope, type ServerDataMap } from '@lm/protocol';
import { LinesService } from '../../apps/api/src/lines/lines.service';
import { RealtimeService } from '../../apps/api/src/realtime/realtime.service';
import { startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';

type Frame = Envelope & { seq?: number };

let api: TestApi;
let hub: RealtimeService;
const clients: TestWsClient[] = [];

beforeAll(async () => {
  api = await startTestApi({
    WS_REPLAY_BUFFER: '200',
    WS_RATE_LIMIT_PER_SEC: '20',
    WS_SLOW_CONSUMER_BYTES: '65536',
    WS_SLOW_CONSUMER_CLOSE_BYTES: '1048576',
    WS_SLOW_CONSUMER_MAX_QUEUED: '2000',
    WS_SLOW_CONSUMER_MAX_LAG_MS: '1000',
  });
  hub = api.app.get(RealtimeService);
}, 60_000);

afterEach(() => {
  // Each test's clients go, so later tests measure only their own.
  for (const c of clients.splice(0)) c.ws.terminate();
});

afterAll(async () => {
  await api?.stop();
});

async function connect(): Promise<TestWsClient> {
  const c = await TestWsClient.connect(api.wsUrl);
  clients.push(c);
  await c.next((f) => f.type === 'connected', 'connected');
  return c;
}

function production(lineId: string, diameter = 20, temps = 4): ServerDataMap['production_data'] {
  return {
    production_line_id: lineId,
    body_temperatures: Array.from({ length: temps }, (_, i) => 180 + i),
    diameter,
    line_speed: 12,
    melt_pressure: 200,
    screw_speed: 80,
  };
}

/** Publishes through the real hub (what ingest calls once rows are committed). */
function publish(lineId: string, diameter = 20): void {
  hub.publish('production_data', production(lineId, diameter), lineId, new Date().toISOString());
}

async function answer(c: TestWsClient, type: string, data: Record<string, unknown>, requestId: string): Promise<Frame> {
  const from = c.frames.length;
  c.send({ type, timestamp: new Date().toISOString(), data: { ...data, request_id: requestId } });
  return c.next((f) => (f.data as { request_id?: string }).request_id === requestId, `answer to ${type}`, 5000, from);
}

const seqNow = (): number => hub.health().seq as number;

async function health(): Promise<Record<string, unknown>> {
  return (await (await fetch(`${api.httpUrl}/health/websocket`)).json()) as Record<string, unknown>;
}

describe('realtime protocol v1 over a real socket', () => {
  it('greets with connected, then answers every command echoing request_id', async () => {
    const c = await connect();
    const connected = c.frames[0] as Envelope<'connected', ServerDataMap['connected']>;
    expect(connected.data).toMatchObject({ protocol_version: PROTOCOL_VERSION, user: null, epoch: hub.epoch });
    expect(typeof connected.data.seq).toBe('number');
    expect(connected.data.heartbeat_interval_ms).toBeGreaterThan(0);

    const hb = await answer(c, 'heartbeat', { client_id: 'me' }, 'r-hb');
    expect(hb).toMatchObject({ type: 'heartbeat', data: { client_id: 'me', request_id: 'r-hb' } });

    const sub = await answer(c, 'subscribe', { lines: ['1', '2'], channels: ['production_data'] }, 'r-sub');
    expect(sub).toMatchObject({ type: 'subscribed', data: { lines: ['1', '2'], channels: ['production_data'], batch_ms: 0 } });

    const unsub = await answer(c, 'unsubscribe', { lines: ['2'] }, 'r-unsub');
    expect(unsub).toMatchObject({ type: 'subscribed', data: { lines: ['1'] } });

    const resumed = await answer(c, 'resume', { epoch: 'another-epoch', last_seq: 0 }, 'r-res');
    expect(resumed).toMatchObject({ type: 'resumed', data: { recovered: false, epoch: hub.epoch } });

    api.app.get(LinesService).recordLatest({ ...production('1', 21.5), timestamp: new Date().toISOString() });
    const snap = await answer(c, 'request_latest', { lines: ['1'] }, 'r-latest');
    expect(snap.type).toBe('snapshot');
    expect(snap.data).toMatchObject({ lines: { '1': { production_line_id: '1', diameter: 21.5 } }, active_alarms: [], epoch: hub.epoch });

    const status = await answer(c, 'request_status', {}, 'r-status');
    expect(status).toMatchObject({ type: 'status', data: { transport: 'websocket', subscription: { lines: ['1'] }, user: null } });

    // Anonymous viewers only read: alarm commands are refused and nothing changes.
    for (const type of ['alarm_ack', 'alarm_shelve', 'alarm_unshelve']) {
      const refused = await answer(c, type, { alarm_id: '1' }, `r-${type}`);
      expect(refused).toMatchObject({ type: 'error', data: { code: ErrorCode.FORBIDDEN } });
    }
  });

  it('a new connection gets everything; subscriptions filter by line and channel', async () => {
    const all = await connect();
    const some = await connect();
    await answer(some, 'subscribe', { lines: ['3'], channels: ['line_status'] }, 's1');

    const first = seqNow();
    publish('3');
    publish('4');
    hub.publish('line_status', { production_line_id: '4', state: 'running', since: new Date().toISOString() }, '4', new Date().toISOString());
    hub.publish('line_status', { production_line_id: '3', state: 'fault', since: new Date().toISOString() }, '3', new Date().toISOString());
    const last = first + 4;

    await all.next((f) => f.seq === last, 'last message on the unsubscribed client');
    expect(all.frames.filter((f) => f.seq !== undefined && f.seq > first).map((f) => f.seq)).toEqual([first + 1, first + 2, first + 3, first + 4]);
    const got = await some.next((f) => f.seq === last, 'the line 3 status');
    expect(got).toMatchObject({ type: 'line_status', data: { production_line_id: '3', state: 'fault' } });
    expect(some.frames.filter((f) => f.seq !== undefined && f.seq > first)).toHaveLength(1);
  });

  it('resume replays exactly the missed messages of the subscription, in order, then resumed', async () => {
    const c = await connect();
    await answer(c, 'subscribe', { lines: ['5'] }, 'sub5');
    const lastSeen = seqNow();
    c.ws.terminate();

    // Missed while away: three for line 5, two for line 6.
    for (const line of ['5', '6', '5', '6', '5']) publish(line);

    const back = await connect();
    const connectedSeq = (back.frames[0].data as { seq: number }).seq;
    publish('5'); // live after the reconnect: not part of the replay
    await answer(back, 'subscribe', { lines: ['5'] }, 'sub5b');
    const from = back.frames.length;
    const resumed = await answer(back, 'resume', { epoch: hub.epoch, last_seq: lastSeen }, 'res5');
    expect(resumed.data).toMatchObject({ recovered: true, seq: connectedSeq });
    const replayed = back.frames.slice(from).filter((f) => f.type === 'production_data');
    expect(replayed.map((f) => f.seq)).toEqual([lastSeen + 1, lastSeen + 3, lastSeen + 5]);
    expect(replayed.every((f) => (f.data as { production_line_id: string }).production_line_id === '5')).toBe(true);
  });

  it('resume too far back (beyond the replay ring) says recovered: false', async () => {
    const old = seqNow();
    for (let i = 0; i < 250; i++) publish('7'); // ring holds 200
    const c = await connect();
    const resumed = await answer(c, 'resume', { epoch: hub.epoch, last_seq: old }, 'old');
    expect(resumed.data).toMatchObject({ recovered: false });
    const fromTheFuture = await answer(c, 'resume', { epoch: hub.epoch, last_seq: old + 10_000 }, 'future');
    expect(fromTheFuture.data).toMatchObject({ recovered: false });
  });

  it('batch_ms: stream messages arrive in batch frames, each keeping its seq; replies stay in order', async () => {
    const c = await connect();
    await answer(c, 'subscribe', { lines: ['*'], batch_ms: 50 }, 'batch');
    const first = seqNow();
    for (let i = 0; i < 20; i++) publish(String((i % 8) + 1));
    const batches = await waitFor(() => {
      const inner = c.frames.filter((f) => f.type === 'batch').flatMap((f) => (f.data as { messages: Frame[] }).messages);
      return inner.some((m) => m.seq === first + 20) ? c.frames.filter((f) => f.type === 'batch') : undefined;
    }, 'batched messages');
    expect(batches.length).toBeLessThan(20);
    const seqs = batches.flatMap((f) => (f.data as { messages: Frame[] }).messages).map((m) => m.seq).filter((s) => (s ?? 0) > first);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => first + i + 1));
    expect(c.frames.some((f) => f.type === 'production_data' && (f.seq ?? 0) > first)).toBe(false);
  });
});

describe('bad input never disturbs other clients', () => {
  it('answers not-JSON, unknown type, bad fields and binary frames with stable codes, counted in errors', async () => {
    const bystander = await connect();
    const bad = await connect();
    const before = (await health()).errors as number;

    const cases: [string | Buffer, string][] = [
      ['{not json', ErrorCode.INVALID_JSON],
      [JSON.stringify({ type: 'explode', timestamp: '', data: { request_id: 'u1' } }), ErrorCode.UNKNOWN_TYPE],
      [JSON.stringify({ type: 'subscribe', timestamp: '', data: { lines: 'all', request_id: 'f1' } }), ErrorCode.INVALID_DATA],
      [JSON.stringify({ type: 'resume', timestamp: '', data: { epoch: 'x' } }), ErrorCode.INVALID_DATA],
      [JSON.stringify([1, 2]), ErrorCode.INVALID_ENVELOPE],
      [Buffer.from([1, 2, 3]), ErrorCode.BINARY_NOT_SUPPORTED],
    ];
    for (const [frame, code] of cases) {
      const from = bad.frames.length;
      bad.ws.send(frame, { binary: Buffer.isBuffer(frame) });
      const err = await bad.next((f) => f.type === 'error', `error ${code}`, 5000, from);
      expect(err.data).toMatchObject({ code });
    }
    expect(bad.frames.find((f) => (f.data as { code?: string }).code === ErrorCode.UNKNOWN_TYPE)?.data).toMatchObject({ request_id: 'u1' });
    expect(bad.frames.find((f) => (f.data as { code?: string }).code === ErrorCode.INVALID_JSON)?.data).toMatchObject({ original_message: '{not json' });
    expect(bad.closed).toBeNull();
    expect((await health()).errors).toBeGreaterThanOrEqual(before + cases.length);

    publish('1');
    const seq = seqNow();
    await bystander.next((f) => f.seq === seq, 'stream on the bystander');
    await bad.next((f) => f.seq === seq, 'stream on the bad client too');
  });

  it('closes an oversized frame with 1009, counted; others unaffected', async () => {
    const bystander = await connect();
    const big = await connect();
    const before = (await health()).errors as number;
    big.ws.send('x'.repeat(MAX_CLIENT_FRAME_BYTES + 1));
    const closed = await waitFor(() => big.closed ?? undefined, 'close after an oversized frame');
    expect(closed.code).toBe(CloseCode.TOO_LARGE);
    await waitFor(async () => ((await health()).errors as number) > before, 'error counted');
    expect((await answer(bystander, 'heartbeat', {}, 'still-here')).type).toBe('heartbeat');
  });

  it('rate-limits a flood with rate_limited errors, then closes it with 1008', async () => {
    const bystander = await connect();
    const flooder = await connect();
    for (let i = 0; i < 200 && flooder.ws.readyState === WebSocket.OPEN; i++) {
      flooder.send({ type: 'heartbeat', timestamp: '', data: { request_id: `f${i}` } });
    }
    await waitFor(() => flooder.closed ?? undefined, 'flooder closed');
    expect(flooder.closed?.code).toBe(CloseCode.POLICY);
    const limited = flooder.frames.filter((f) => (f.data as { code?: string }).code === ErrorCode.RATE_LIMITED);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].data).toMatchObject({ request_id: expect.stringMatching(/^f\d+$/) });
    expect((await health()).rate_limited).toBeGreaterThan(0);
    expect((await answer(bystander, 'heartbeat', {}, 'unharmed')).type).toBe('heartbeat');
  });
});

describe('slow consumers', () => {
  it('a client that stops reading does not slow a fast one, and is closed with 4408 while memory stays bounded', async () => {
    const fast = await connect();
    const slow = await connect();
    // Stop reading: the server's socket buffer for it fills up.
    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const first = seqNow();
    let peakQueued = 0;
    let peakBuffered = 0;
    const total = 2000;
    const big = (i: number): ServerDataMap['production_data'] => production(String((i % 8) + 1), i, 1500);
    // ~10 KB frames: 20 MB in all, more than loopback's socket buffers and far past the 1 MB close limit.
    for (let i = 0; i < total; i++) {
      hub.publish('production_data', big(i), String((i % 8) + 1), new Date().toISOString());
      if (i % 5 === 0) {
        await new Promise((r) => setImmediate(r)); // let the writes (and the fast client's reads) happen
        const h = hub.health();
        peakQueued = Math.max(peakQueued, h.queued_messages as number);
        peakBuffered = Math.max(peakBuffered, h.buffered_bytes as number);
      }
    }
    const h = await waitFor(async () => {
      const s = await health();
      return (s.slow_consumer_closes as number) >= 1 ? s : undefined;
    }, 'slow consumer closed');
    expect(h.slow_consumer_closes).toBeGreaterThanOrEqual(1);
    // While it lagged its production_data was coalesced per line instead of piling up.
    expect(h.coalesced).toBeGreaterThan(0);

    // The fast client got every message, in order, none coalesced.
    await fast.next((f) => f.seq === first + total, 'last message on the fast client', 20_000);
    const seqs = fast.frames.filter((f) => (f.seq ?? 0) > first).map((f) => f.seq);
    expect(seqs).toHaveLength(total);
    expect(seqs[total - 1]).toBe(first + total);

    // When it reads again it sees the close code that tells it to reconnect and resume.
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor(() => slow.closed ?? undefined, 'slow client sees the close', 20_000);
    expect(slow.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
    // It got less than everything: the server did not queue 20 MB for it.
    expect(slow.frames.filter((f) => (f.seq ?? 0) > first).length).toBeLessThan(total);
    // Bounded: at most a few frames per line queued, and socket buffers near the 64 kB coalescing threshold.
    expect(peakQueued).toBeLessThan(100);
    expect(peakBuffered).toBeLessThan(1024 * 1024);
  }, 60_000);
});

describe('/health/websocket', () => {
  it('has the FastAPI keys and per-channel subscriber counts', async () => {
    await connect();
    const h = await health();
    for (const key of ['total_connections', 'active_connections', 'messages_sent', 'errors']) expect(Number.isInteger(h[key])).toBe(true);
    expect(h.subscribers).toMatchObject({ production_data: expect.any(Number), alarm: expect.any(Number), line_status: expect.any(Number) });
    expect((h.subscribers as Record<string, number>).production_data).toBeGreaterThan(0);
  });
});
