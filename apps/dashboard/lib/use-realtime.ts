'use client';

import { useEffect, useState } from 'react';
import { RealtimeClient, type ConnectionState } from '@lm/client';
import type { AlarmRecord, LineStatusData, ProductionData, ServerDataMap } from '@lm/protocol';
import { resolveApiBase, toWebSocketUrl } from './api-url';
import { AlarmStore } from './alarm-store';
import { NotificationStore } from './notification-store';

/** How much diameter history a tile's sparkline shows, and how often it takes a point. */
export const TREND_WINDOW_MS = 60_000;
const TREND_SAMPLE_MS = 250;

/** What a tile renders for one line. A new object only when something about the line changed. */
export interface LineView {
  id: string;
  data: ProductionData | null;
  /** Measurement time from the envelope (device clock, ISO). */
  measuredAt: string | null;
  /** When the browser received the latest data (client clock, epoch ms): freshness is measured on this. */
  receivedAt: number | null;
  status: LineStatusData | null;
  /** Diameter samples, oldest first: `t` is the receive time (epoch ms). */
  trend: readonly TrendPoint[];
}

export interface TrendPoint {
  t: number;
  v: number;
}

export interface ConnectionView {
  state: ConnectionState;
  reason: string;
  /** Epoch ms of the last state change; 0 before the client started. */
  since: number;
}

export interface RealtimeView {
  connection: ConnectionView;
  /** Epoch ms of the last frame received; null before the first. */
  lastMessageAt: number | null;
  lines: ReadonlyMap<string, LineView>;
  /** The WebSocket URL in use; null until resolved in the browser. */
  wsUrl: string | null;
  apiBase: string | null;
  /** The client of this page (null until created in the browser): for commands and raw stream listeners. */
  client: RealtimeClient | null;
  /** Live alarms (useSyncExternalStore). */
  alarms: AlarmStore;
  notifications: NotificationStore;
}

// The mutable per-line state the message handlers write at 10 Hz per line; React only sees copies.
interface LineBuffer {
  data: ProductionData | null;
  measuredAt: string | null;
  receivedAt: number | null;
  status: LineStatusData | null;
  trend: TrendPoint[];
  trendChanged: boolean;
  view: LineView | null;
}

const EMPTY_LINES: ReadonlyMap<string, LineView> = new Map();

/**
 * Connects to the API's WebSocket and exposes the latest state per line. Messages land in a ref;
 * React state is updated at most once per animation frame, and only changed lines get new objects,
 * so memoised tiles of quiet lines do not re-render.
 */
export function useRealtime(
  configuredApiUrl: string | undefined,
  // The signed-in session's token goes into the URL (`?token=`: browsers cannot set WebSocket headers);
  // nothing connects before the session is read, so a signed-in tab never opens an anonymous socket first.
  auth: { ready: boolean; session: { token: string } | null } = { ready: true, session: null },
): RealtimeView {
  const token = auth.session?.token ?? null;
  const [connection, setConnection] = useState<ConnectionView>({ state: 'connecting', reason: 'starting', since: 0 });
  const [lines, setLines] = useState<ReadonlyMap<string, LineView>>(EMPTY_LINES);
  const [lastMessageAt, setLastMessageAt] = useState<number | null>(null);
  const [endpoint, setEndpoint] = useState<{ apiBase: string; wsUrl: string } | null>(null);
  const [client, setClient] = useState<RealtimeClient | null>(null);
  const [alarms] = useState(() => new AlarmStore());
  const [notifications] = useState(() => new NotificationStore());

  useEffect(() => {
    if (!auth.ready) return;
    // window.location exists only here, in the browser: that is what makes the URL a run-time choice.
    const apiBase = resolveApiBase(configuredApiUrl, window.location);
    const wsUrl = toWebSocketUrl(apiBase);
    setEndpoint({ apiBase, wsUrl });

    const client = new RealtimeClient({ url: token ? `${wsUrl}?token=${encodeURIComponent(token)}` : wsUrl });
    // Batched delivery (one frame per 100 ms); the client unwraps `batch` frames and re-sends this after reconnects.
    client.subscribe({ lines: ['*'], batch_ms: 100 });
    setClient(client);
    const buffers = new Map<string, LineBuffer>();
    const dirty = new Set<string>();
    let frame = 0;

    const buffer = (id: string): LineBuffer => {
      let b = buffers.get(id);
      if (!b) {
        b = { data: null, measuredAt: null, receivedAt: null, status: null, trend: [], trendChanged: true, view: null };
        buffers.set(id, b);
      }
      return b;
    };

    const flush = (): void => {
      frame = 0;
      if (dirty.size > 0) {
        const now = Date.now();
        const changed = new Map<string, LineView>();
        for (const id of dirty) {
          const b = buffer(id);
          if (b.trendChanged) {
            // Drop what scrolled out of the window here, once per frame, not per message.
            const cutoff = now - TREND_WINDOW_MS;
            let drop = 0;
            while (drop < b.trend.length && b.trend[drop].t < cutoff) drop++;
            if (drop) b.trend.splice(0, drop);
          }
          const view: LineView = {
            id,
            data: b.data,
            measuredAt: b.measuredAt,
            receivedAt: b.receivedAt,
            status: b.status,
            trend: b.trendChanged || !b.view ? b.trend.slice() : b.view.trend,
          };
          b.trendChanged = false;
          b.view = view;
          changed.set(id, view);
        }
        dirty.clear();
        setLines((prev) => {
          const next = new Map(prev);
          for (const [id, view] of changed) next.set(id, view);
          return next;
        });
      }
      setLastMessageAt(client.lastMessageAt);
    };
    const schedule = (): void => {
      if (!frame) frame = requestAnimationFrame(flush);
    };

    const applyData = (data: ProductionData, measuredAt: string, receivedAt: number): void => {
      const id = data.production_line_id;
      if (typeof id !== 'string') return;
      const b = buffer(id);
      b.data = data;
      b.measuredAt = measuredAt;
      b.receivedAt = receivedAt;
      const last = b.trend[b.trend.length - 1];
      if (typeof data.diameter === 'number' && (!last || receivedAt - last.t >= TREND_SAMPLE_MS)) {
        b.trend.push({ t: receivedAt, v: data.diameter });
        b.trendChanged = true;
      }
      dirty.add(id);
      schedule();
    };

    const applySnapshot = (snapshot: ServerDataMap['snapshot']): void => {
      const now = Date.now();
      for (const [id, entry] of Object.entries(snapshot.lines ?? {})) {
        const b = buffer(id);
        if (b.receivedAt !== null) continue; // live data already newer than the snapshot
        // A snapshot value is as old as its measurement, not as the frame that carried it.
        const measured = Date.parse(entry.timestamp);
        b.data = entry;
        b.measuredAt = entry.timestamp;
        b.receivedAt = Number.isFinite(measured) ? Math.min(measured, now) : now;
        dirty.add(id);
      }
      for (const [id, status] of Object.entries(snapshot.line_status ?? {})) {
        buffer(id).status = status;
        dirty.add(id);
      }
      schedule();
    };

    const loadOpenAlarms = (): void => {
      fetch(`${apiBase}/api/alarms?state=open&limit=500`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
        .then((res) => (res.ok ? (res.json() as Promise<{ items: AlarmRecord[] }>) : Promise.reject(new Error(`HTTP ${res.status}`))))
        .then(
          (page) => alarms.replaceActive(page.items),
          (err: unknown) => console.warn(`[line-monitor] open alarms not loaded: ${String(err)}`),
        );
    };

    const offs = [
      client.on('state', (change) => {
        setConnection({ state: change.state, reason: change.reason, since: change.at });
        schedule();
        // Over SSE no snapshot comes (request_latest is a command): the open alarms come from REST.
        if (change.state === 'fallback') loadOpenAlarms();
      }),
      client.on('connected', () => {
        // Fill the tiles (and line states, which only stream on change) without waiting.
        try {
          client.send('request_latest', {});
        } catch {
          // Not live any more: the next `connected` asks again.
        }
      }),
      client.on('production_data', (data, envelope) => applyData(data, envelope.timestamp, Date.now())),
      client.on('line_status', (status) => {
        buffer(status.production_line_id).status = status;
        dirty.add(status.production_line_id);
        schedule();
      }),
      client.on('snapshot', applySnapshot),
      client.on('snapshot', (snapshot) => alarms.replaceActive(snapshot.active_alarms ?? [])),
      client.on('alarm', (a) => {
        notifications.addAlarm(a, true, undefined);
        alarms.upsert(a);
      }),
      client.on('alarm_update', (a) => {
        notifications.addAlarm(a, false, alarms.get(a.id));
        alarms.upsert(a);
      }),
      client.on('notification', (n) => notifications.add({ level: n.level, text: n.message })),
      client.on('error', (error) => console.warn(`[line-monitor] server error ${error.code}: ${error.message}`)),
    ];
    setConnection({ state: client.state, reason: 'starting', since: Date.now() });

    return () => {
      offs.forEach((off) => off());
      if (frame) cancelAnimationFrame(frame);
      client.close();
      setClient(null);
    };
  }, [configuredApiUrl, auth.ready, token, alarms, notifications]);

  return {
    connection,
    lastMessageAt,
    lines,
    wsUrl: endpoint?.wsUrl ?? null,
    apiBase: endpoint?.apiBase ?? null,
    client,
    alarms,
    notifications,
  };
}

/** A clock for "updated 3 s ago" and staleness; 0 until mounted so server and client render alike. */
export function useNow(intervalMs = 500): number {
  const [now, setNow] = useState(0);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
