import type { RealtimeClient } from '@lm/client';
import type { ProductionData } from '@lm/protocol';

/** One reading of one line: `t` is the measurement time (epoch ms, device clock). */
export interface LiveReading {
  t: number;
  data: ProductionData;
}

export interface LiveFeed {
  /** Readings arrive in batches, at most one per animation frame. */
  onReadings(listener: (batch: readonly LiveReading[]) => void): () => void;
  /** The stream had a hole it could not replay (reconnect without recovery): re-query history. */
  onGap(listener: () => void): () => void;
  close(): void;
}

/**
 * The live readings of one line for the trend charts: one client listener for all charts, delivered
 * per animation frame. Announces a gap whenever the connection comes back live without having
 * replayed what it missed.
 */
export function createLiveFeed(client: RealtimeClient, lineId: string): LiveFeed {
  const readers = new Set<(batch: readonly LiveReading[]) => void>();
  const gapListeners = new Set<() => void>();
  let pending: LiveReading[] = [];
  let frame = 0;
  let away = false;
  const flush = (): void => {
    frame = 0;
    const batch = pending;
    pending = [];
    for (const r of readers) r(batch);
  };
  const offs = [
    client.on('production_data', (data, envelope) => {
      if (data.production_line_id !== lineId) return;
      const t = Date.parse(envelope.timestamp);
      if (!Number.isFinite(t)) return;
      pending.push({ t, data });
      if (!frame) frame = document.hidden ? (setTimeout(flush, 250) as unknown as number) : requestAnimationFrame(flush);
    }),
    client.on('state', (change) => {
      // Back to live after having lost the connection: `resumed` means the missed messages were
      // replayed; any other way back (a new stream, or live on `connected` before the resume answer)
      // may have a hole. Keyed on having been away, not on the previous state, which depends on timing.
      if (change.state !== 'live') {
        if (change.state === 'reconnecting' || change.state === 'offline' || change.state === 'fallback') away = true;
        return;
      }
      if (!away) return;
      away = false;
      if (change.reason !== 'resumed') for (const g of gapListeners) g();
    }),
  ];
  return {
    onReadings(listener) {
      readers.add(listener);
      return () => readers.delete(listener);
    },
    onGap(listener) {
      gapListeners.add(listener);
      return () => gapListeners.delete(listener);
    },
    close() {
      offs.forEach((off) => off());
      if (frame) {
        cancelAnimationFrame(frame);
        clearTimeout(frame);
      }
      readers.clear();
      gapListeners.clear();
    },
  };
}

/** The value of a history metric in a reading: `zone_3` is body_temperatures[2]. */
export function metricValue(data: ProductionData, metric: string): number | null {
  const zone = /^zone_(\d+)$/.exec(metric);
  if (zone) {
    const v = data.body_temperatures?.[Number(zone[1]) - 1];
    return typeof v === 'number' ? v : null;
  }
  const v = (data as unknown as Record<string, unknown>)[metric];
  return typeof v === 'number' ? v : null;
}
