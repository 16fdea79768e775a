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
import type { SavedStreamState, StreamStateStore } from './stream-state';

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
  connected(): boolean {
    return this.closed === null;
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

/** The stream_state table in memory: take() reads and deletes, as the repository does. */
class MemoryStreamStateStore implements StreamStateStore {
  readonly rows = new Map<string, SavedStreamState>();
  failTake = false;
  failSave = false;
  async take(instanceId: string): Promise<SavedStreamState | null> {
    if (this.failTake) throw new Error('database down');
    const row = this.rows.get(instanceId) ?? null;
    this.rows.delete(instanceId);
    // Through JSON, as through the jsonb column: nothing of the live objects survives.
    return row && (JSON.parse(JSON.stringify(row)) as SavedStreamState);
  }
  async save(instanceId: string, state: SavedStreamState): Promise<void> {
    if (this.failSave) throw new Error('database down');
    this.rows.set(instanceId, state);
  }
}

function newHub(
  overrides: Partial<AppConfig['realtime']> = {},
  store: StreamStateStore = new MemoryStreamStateStore(),
  { sharedGroup = null, mqttUrl = 'mqtt://broker:1883' }: { sharedGroup?: string | null; mqttUrl?: string | null } = {},
): { hub: RealtimeService; commands: RealtimeCommands } {
  const commands = new RealtimeCommands();
  const config = { realtime: { ...realtimeConfig, ...overrides }, mqtt: { url: mqttUrl }, cluster: { instanceId: 'api-1', sharedGroup } } as AppConfig;
  const hub = new RealtimeService(config, lines, commands, store);
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

describe(`${RealtimeService.name} stream continuity`, () => {
  const ts = '2026-01-01T00:00:00.000Z';

  /** A hub that published `n` messages on line 1 and was shut down gracefully. */
  async function stoppedAfter(n: number, store: MemoryStreamStateStore, overrides: Partial<AppConfig['realtime']> = {}): Promise<RealtimeService> {
    const { hub } = newHub(overrides, store);
    await hub.restoreStream();
    for (let i = 1; i <= n; i++) hub.publish('production_data', data('1', i), '1', ts);
    hub.beforeApplicationShutdown();
    await hub.onApplicationShutdown();
    return hub;
  }

  async function restarted(store: MemoryStreamStateStore, overrides: Partial<AppConfig['realtime']> = {}): Promise<RealtimeService> {
    const { hub } = newHub(overrides, store);
    await hub.restoreStream();
    return hub;
  }

  async function resume(hub: RealtimeService, epoch: string | null, lastSeq: number): Promise<FakeSink> {
    const sink = new FakeSink();
    const conn = hub.attach(sink, anonymous);
    hub.resumeFrom(conn, epoch, lastSeq);
    await tick();
    return sink;
  }

  it('continues the saved epoch at seq + 1 and replays across the restart without a gap', async () => {
    const store = new MemoryStreamStateStore();
    const before = await stoppedAfter(5, store);
    expect(store.rows.get('api-1')).toMatchObject({ epoch: before.epoch, seq: 5 });

    const after = await restarted(store);
    expect(after.epoch).toBe(before.epoch);
    expect(after.health()).toMatchObject({ seq: 5, stream_continued: true, replay_oldest_seq: 1 });
    after.publish('production_data', data('1', 6), '1', ts); // queued by the broker during the downtime

    const sink = await resume(after, before.epoch, 3);
    expect(sink.frames.map((f) => [f.type, f.seq ?? null])).toEqual([
      ['connected', null],
      ['production_data', 4],
      ['production_data', 5],
      ['production_data', 6],
      ['resumed', null],
    ]);
    expect(sink.ofType('resumed')[0].data).toMatchObject({ recovered: true, epoch: before.epoch, seq: 6 });
    // The replayed frames are the ones sent before the restart, byte for byte.
    expect(sink.frames[1]).toEqual({ type: 'production_data', timestamp: ts, seq: 4, data: data('1', 4) });
    expect(sink.connected()).toBe(true);
  });

  it.each([
    ['as one of several instances (the others published while it was down)', { sharedGroup: 'line-monitor' }],
    ['on the embedded broker (it stopped too: devices backfill, which is not streamed)', { mqttUrl: null }],
  ])('does not continue %s, and uses the state up', async (_why, where) => {
    const store = new MemoryStreamStateStore();
    const before = await stoppedAfter(5, store);
    const { hub: after } = newHub({}, store, where);
    await after.restoreStream();
    expect(after.epoch).not.toBe(before.epoch);
    expect(store.rows.size).toBe(0);
    const sink = await resume(after, before.epoch, 3);
    expect(sink.ofType('resumed')[0].data).toMatchObject({ recovered: false });
  });

  it('uses a saved state once: the next start (e.g. after a crash) begins a new epoch', async () => {
    const store = new MemoryStreamStateStore();
    const before = await stoppedAfter(3, store);
    await restarted(store);
    expect(store.rows.size).toBe(0);
    const afterCrash = await restarted(store);
    expect(afterCrash.epoch).not.toBe(before.epoch);
    expect(afterCrash.health()).toMatchObject({ seq: 0, stream_continued: false });
    const sink = await resume(afterCrash, before.epoch, 3);
    expect(sink.ofType('resumed')[0].data).toMatchObject({ recovered: false });
  });

  it('does not recover a seq beyond the saved one (a stale state), nor one older than the ring', async () => {
    const store = new MemoryStreamStateStore();
    const before = await stoppedAfter(12, store, { replayBufferSize: 10 });
    const after = await restarted(store, { replayBufferSize: 10 });
    expect((await resume(after, before.epoch, 13)).ofType('resumed')[0].data).toMatchObject({ recovered: false });
    expect((await resume(after, before.epoch, 1)).ofType('resumed')[0].data).toMatchObject({ recovered: false });
    const inRing = await resume(after, before.epoch, 2);
    expect(inRing.ofType('production_data').map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(inRing.ofType('resumed')[0].data).toMatchObject({ recovered: true });
  });

  it('resumes an SSE Last-Event-ID (no epoch) across the restart', async () => {
    const store = new MemoryStreamStateStore();
    await stoppedAfter(4, store);
    const after = await restarted(store);
    const sink = await resume(after, null, 2);
    expect(sink.ofType('production_data').map((f) => f.seq)).toEqual([3, 4]);
    expect(sink.ofType('resumed')[0].data).toMatchObject({ recovered: true });
  });

  it('starts a new epoch when the saved state is unusable or cannot be read, and survives a failed save', async () => {
    const store = new MemoryStreamStateStore();
    store.rows.set('api-1', { epoch: 'e', seq: 5, ring: [[3, 'production_data', '1', '{}']] }); // ring does not end at seq
    const hole = await restarted(store);
    expect(hole.epoch).not.toBe('e');
    expect(hole.health()).toMatchObject({ seq: 0, stream_continued: false });

    store.rows.set('api-1', { epoch: 'e', seq: 0, ring: [] });
    store.failTake = true;
    expect((await restarted(store)).epoch).not.toBe('e');

    store.failTake = false;
    const failing = await restarted(store);
    store.failSave = true;
    await expect(failing.onApplicationShutdown()).resolves.toBeUndefined();
    expect(store.rows.size).toBe(0);
  });

  it('keeps only the state of its own instance', async () => {
    const store = new MemoryStreamStateStore();
    store.rows.set('api-2', { epoch: 'other', seq: 7, ring: [] });
    const hub = await restarted(store);
    expect(hub.epoch).not.toBe('other');
    expect(store.rows.has('api-2')).toBe(true);
  });
});

describe('RealtimeService.restartStream', () => {
  it('starts a new epoch with an empty ring and closes every connection with 1012', async () => {
    const { hub } = newHub();
    const sinks = [new FakeSink(), new FakeSink()];
    for (const sink of sinks) hub.attach(sink, anonymous);
    for (let i = 1; i <= 3; i++) hub.publish('production_data', data('1', i), '1', new Date().toISOString());
    const old = hub.epoch;

    hub.restartStream('missed messages from api-2');

    expect(hub.epoch).not.toBe(old);
    for (const sink of sinks) expect(sink.closed).toEqual({ code: CloseCode.SERVICE_RESTART, reason: expect.stringMatching(/restart/) });
    // What was queued for them before the close still went out, in the old epoch.
    expect(sinks[0].ofType('production_data').map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(hub.health()).toMatchObject({ active_connections: 0, replay_oldest_seq: null, seq: 3, stream_restarts: 1 });

    const ws = new FakeSink();
    const conn = hub.attach(ws, anonymous);
    hub.resumeFrom(conn, old, 2);
    // SSE sends only the seq: one from before the restart is the abandoned stream's.
    const sse = new FakeSink();
    hub.resumeFrom(hub.attach(sse, anonymous), null, 3);
    await tick();
    expect(ws.ofType('connected')[0].data).toMatchObject({ epoch: hub.epoch, seq: 3 });
    expect(ws.ofType('resumed')[0].data).toMatchObject({ recovered: false, epoch: hub.epoch });
    expect(sse.ofType('resumed')[0].data).toMatchObject({ recovered: false });

    // The new epoch is resumable as usual.
    hub.publish('production_data', data('1', 4), '1', new Date().toISOString());
    const later = new FakeSink();
    hub.resumeFrom(hub.attach(later, anonymous), hub.epoch, 3);
    await tick();
    expect(later.ofType('production_data').map((f) => f.seq)).toEqual([4]);
    expect(later.ofType('resumed')[0].data).toMatchObject({ recovered: true });
  });

  it('invalidates a state already saved at shutdown, so the next start does not continue the abandoned stream', async () => {
    const store = new MemoryStreamStateStore();
    const { hub } = newHub({}, store);
    hub.publish('production_data', data('1', 1), '1', new Date().toISOString());
    hub.beforeApplicationShutdown();
    await hub.onApplicationShutdown();
    expect(store.rows.size).toBe(1);
    hub.restartStream('missed messages while stopping');
    await waitFor(() => store.rows.size === 0, 'the saved state to be deleted', 2000);
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
