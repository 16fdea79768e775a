import { describe, expect, it } from '@jest/globals';
import { waitFor } from '../../../../test/support/waiting';
import { CloseCode, ErrorCode, type AlarmRecord, type ClientMessage, type ServerDataMap } from '@lm/protocol';
import type { Principal } from '../auth/principal';
import type { AppConfig } from '../config/app-config';
import type { LinesService } from '../lines/lines.service';
import type { Outgoing, Sink } from './connection';
import { RealtimeCommandError, RealtimeCommands } from './realtime-commands';
import { RealtimeService } from './realtime.service';
import { ReplayRing, StreamEntry } from './stream-entry';

type Frame = { type: string; seq?: number; data: Record<string, unknown> };

/** A sink whose "network" backlog the test sets: what a slow reader looks like to the hub. */
class FakeSink implements Sink {
  readonly transport = 'websocket' as const;
  backlog = 0;
  frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  buffered(): number {
    return this.backlog;
  }
  write(items: readonly (Outgoing | null)[], _batch: boolean): number {
    let n = 0;
    for (const i of items) {
      if (i === null) continue;
      n++;
      this.frames.push(JSON.parse(typeof i === 'string' ? i : i.frame) as Frame);
    }
    return n;
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }
}

const realtimeConfig: AppConfig['realtime'] = {
  heartbeatIntervalMs: 30_000,
  pingIntervalMs: 15_000,
  replayBufferSize: 100,
  wsEnabled: true,
  maxConnections: 10,
  maxConnectionsPerUser: 2,
  rateLimitPerSec: 50,
  slowConsumerBytes: 1000,
  slowConsumerCloseBytes: 10_000,
  slowConsumerMaxQueued: 50,
  slowConsumerMaxLagMs: 60_000,
  sseKeepAliveMs: 15_000,
};

const lines = { latestReadings: () => [], statuses: () => [], list: () => [] } as unknown as LinesService;
const anonymous: Principal = { username: 'anonymous', role: 'operator', anonymous: true, expiresAt: null };
const engineer: Principal = { username: 'eve', role: 'engineer', anonymous: false, expiresAt: null };

function newHub(overrides: Partial<AppConfig['realtime']> = {}): { hub: RealtimeService; commands: RealtimeCommands } {
  const commands = new RealtimeCommands();
  const hub = new RealtimeService({ realtime: { ...realtimeConfig, ...overrides } } as AppConfig, lines, commands);
  return { hub, commands };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function data(line: string, diameter: number): ServerDataMap['production_data'] {
  return { production_line_id: line, body_temperatures: null, diameter, line_speed: null, melt_pressure: null, screw_speed: null };
}

function newAlarm(id: string, line = '1'): AlarmRecord {
  return {
    id,
    production_line_id: line,
    metric: 'diameter',
    limit_kind: 'high',
    message: 'Diameter high',
    severity: 'high',
    state: 'unacknowledged',
    active: true,
    value: 21,
    limit: 20.5,
    raised_at: new Date().toISOString(),
    comment_required: false,
  };
}

function msg<T extends ClientMessage['type']>(type: T, d: Extract<ClientMessage, { type: T }>['data']): ClientMessage {
  return { type, timestamp: new Date().toISOString(), data: d } as ClientMessage;
}

describe(RealtimeService.name, () => {
  it('writes one turn of messages in one write per connection, serialising each message once', async () => {
    const { hub } = newHub();
    const sink = new FakeSink();
    hub.attach(sink, anonymous);
    let writes = 0;
    const write = sink.write.bind(sink);
    sink.write = (items: readonly (Outgoing | null)[], batch: boolean): number => {
      writes++;
      return write(items, batch);
    };
    for (let i = 0; i < 10; i++) hub.publish('production_data', data('1', i), '1', new Date().toISOString());
    await tick();
    expect(writes).toBe(1);
    expect(sink.frames.map((f) => f.type)).toEqual(['connected', ...Array<string>(10).fill('production_data')]);
  });

  it('coalesces production_data per line for a lagging client (latest wins, seq order kept), never alarms', async () => {
    const { hub } = newHub();
    const sink = new FakeSink();
    hub.attach(sink, engineer);
    await tick();
    sink.backlog = 5000; // behind: over slowConsumerBytes, under the close limit
    const ts = new Date().toISOString();
    hub.publish('production_data', data('1', 1), '1', ts); // seq 1
    await tick(); // the hub notices the lag
    hub.publish('production_data', data('2', 2), '2', ts); // 2
    hub.publish('alarm', newAlarm('a1'), '1', ts); // 3
    hub.publish('production_data', data('1', 4), '1', ts); // 4 replaces 1
    hub.publish('alarm_update', { ...newAlarm('a1'), state: 'acknowledged' }, '1', ts); // 5
    hub.publish('production_data', data('2', 6), '2', ts); // 6 replaces 2
    await tick();
    expect(sink.frames).toHaveLength(1); // only `connected` so far
    expect(hub.health()).toMatchObject({ lagging_connections: 1, queued_messages: 4 });

    sink.backlog = 0; // caught up
    await waitForFrames(sink, 5);
    expect(sink.frames.slice(1).map((f) => [f.type, f.seq])).toEqual([
      ['alarm', 3],
      ['production_data', 4],
      ['alarm_update', 5],
      ['production_data', 6],
    ]);
    expect(hub.health()).toMatchObject({ lagging_connections: 0, coalesced: 2 });
  });

  it('closes a client past the hard limits with 4408 (bytes, or queued alarms that are never dropped)', async () => {
    const { hub } = newHub();
    const bytes = new FakeSink();
    hub.attach(bytes, anonymous);
    bytes.backlog = 20_000;
    hub.publish('production_data', data('1', 1), '1', new Date().toISOString());
    await tick();
    expect(bytes.closed?.code).toBe(CloseCode.SLOW_CONSUMER);

    const alarms = new FakeSink();
    hub.attach(alarms, anonymous);
    alarms.backlog = 5000;
    hub.publish('alarm', newAlarm('x'), '1', new Date().toISOString());
    await tick();
    for (let i = 0; i < 60 && !alarms.closed; i++) hub.publish('alarm', newAlarm(`a${i}`), '1', new Date().toISOString());
    expect(alarms.closed?.code).toBe(CloseCode.SLOW_CONSUMER);
    expect(hub.health()).toMatchObject({ slow_consumer_closes: 2, active_connections: 0 });
  });

  it('answers alarm commands unavailable until a feature registers them, then with result', async () => {
    const { hub, commands } = newHub();
    const sink = new FakeSink();
    const conn = hub.attach(sink, engineer);
    await hub.handle(conn, msg('alarm_ack', { alarm_id: '7', request_id: 'r1' }));
    commands.register('alarm_ack', (d, ctx) => Promise.resolve({ alarm_id: d.alarm_id, by: ctx.principal.username }));
    commands.register('alarm_shelve', () => Promise.reject(new RealtimeCommandError(ErrorCode.NOT_FOUND, 'No alarm 9')));
    await hub.handle(conn, msg('alarm_ack', { alarm_id: '7', request_id: 'r2' }));
    await hub.handle(conn, msg('alarm_shelve', { alarm_id: '9', request_id: 'r3' }));
    await tick();
    expect(sink.frames.slice(1)).toMatchObject([
      { type: 'error', data: { code: ErrorCode.UNAVAILABLE, request_id: 'r1' } },
      { type: 'result', data: { command: 'alarm_ack', ok: true, result: { alarm_id: '7', by: 'eve' }, request_id: 'r2' } },
      { type: 'error', data: { code: ErrorCode.NOT_FOUND, request_id: 'r3' } },
    ]);
  });

  it('refuses commands the role may not run with forbidden, and nothing runs', async () => {
    const { hub, commands } = newHub();
    let ran = false;
    commands.register('alarm_ack', () => {
      ran = true;
      return Promise.resolve({});
    });
    const sink = new FakeSink();
    const conn = hub.attach(sink, anonymous);
    await hub.handle(conn, msg('alarm_ack', { alarm_id: '1', request_id: 'no' }));
    await tick();
    expect(sink.ofType('error')[0].data).toMatchObject({ code: ErrorCode.FORBIDDEN, request_id: 'no' });
    expect(ran).toBe(false);
  });

  it('puts active alarms from the registered source into snapshots', async () => {
    const { hub, commands } = newHub();
    commands.provideActiveAlarms(() => Promise.resolve([newAlarm('1', '1'), newAlarm('2', '2')]));
    const sink = new FakeSink();
    const conn = hub.attach(sink, anonymous);
    await hub.handle(conn, msg('request_latest', { lines: ['2'] }));
    await tick();
    expect((sink.ofType('snapshot')[0].data.active_alarms as AlarmRecord[]).map((a) => a.id)).toEqual(['2']);
  });

  it('limits connections in all and per user, with a retry hint', () => {
    const { hub } = newHub({ maxConnections: 3 });
    hub.attach(new FakeSink(), engineer);
    hub.attach(new FakeSink(), engineer);
    expect(hub.admit(engineer)).toMatchObject({ ok: false, code: CloseCode.TOO_MANY_CONNECTIONS, reason: expect.stringMatching(/retry after/) });
    expect(hub.admit(anonymous)).toEqual({ ok: true });
    hub.attach(new FakeSink(), anonymous);
    expect(hub.admit(anonymous)).toMatchObject({ ok: false, code: CloseCode.TOO_MANY_CONNECTIONS });
  });

  it('closes with 4401 when the token expires', async () => {
    const { hub } = newHub();
    const sink = new FakeSink();
    hub.attach(sink, { ...engineer, expiresAt: Date.now() + 30 });
    await waitFor(() => sink.closed !== null, 'the sink to be closed', 2000);
    expect(sink.closed?.code).toBe(CloseCode.UNAUTHENTICATED);
  });
});

describe(ReplayRing.name, () => {
  const entry = (seq: number): StreamEntry => new StreamEntry(seq, 'production_data', 'production_data', '1', `{"seq":${seq}}`);

  it('returns the entries after a seq up to a limit, or null once the seq is no longer kept', () => {
    const ring = new ReplayRing(5);
    for (let s = 1; s <= 8; s++) ring.push(entry(s));
    expect(ring.oldestSeq()).toBe(4);
    expect(ring.since(3, 8)?.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(ring.since(5, 7)?.map((e) => e.seq)).toEqual([6, 7]);
    expect(ring.since(8, 8)).toEqual([]);
    expect(ring.since(2, 8)).toBeNull();
  });
});

function waitForFrames(sink: FakeSink, n: number): Promise<void> {
  return waitFor(() => sink.frames.length >= n, `${n} frames`, 2000).then(() => undefined);
}
