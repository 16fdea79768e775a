'use client';

import { useEffect, useMemo, useState } from 'react';
import type { LineState } from '@lm/protocol';
import { compareLineIds, DEFAULT_LINE_IDS } from '../../lib/lines';
import { zeroCounts, type SeverityCounts } from '../../lib/alarm-store';
import { apiJson } from '../../lib/api';
import { useAlarms, useConnection, useLines, useServices } from '../../lib/realtime-context';
import { useNow, type LineView } from '../../lib/use-realtime';
import { LineTile, STALE_AFTER_MS, type DiameterSpec } from './line-tile';
import styles from './overview.module.css';

/** The live overview: one tile per line. The connection and the header come from the AppShell. */
export function Overview() {
  const lines = useLines();
  const { connection } = useConnection();
  const { open } = useAlarms();
  const now = useNow(500);
  const specs = useDiameterSpecs();
  // On the SSE fallback data still flows (only commands are off): values are current.
  const live = connection.state === 'live' || connection.state === 'fallback';

  // The demo lines as placeholders from the first paint, plus every line seen on the stream.
  const ids = useMemo(() => {
    const set = new Set<string>(DEFAULT_LINE_IDS);
    for (const id of lines.keys()) set.add(id);
    return [...set].sort(compareLineIds);
  }, [lines]);

  // Open alarms per line by severity: recomputed when an alarm changes, not per data frame.
  const alarmCounts = useMemo(() => {
    const per = new Map<string, SeverityCounts>();
    for (const a of open.values()) {
      let c = per.get(a.production_line_id);
      if (!c) per.set(a.production_line_id, (c = zeroCounts()));
      c[a.severity]++;
    }
    return per;
  }, [open]);

  return (
    <>
      <div className={styles.summaryBar}>
        <Summary ids={ids} lines={lines} now={now} />
      </div>
      <main className={styles.grid} data-live={live}>
        {ids.map((id) => (
          <LineTile key={id} id={id} line={lines.get(id) ?? null} now={now} live={live} alarms={alarmCounts.get(id) ?? null} spec={specs.get(id) ?? null} />
        ))}
      </main>
    </>
  );
}

interface RegistryLine {
  id: string;
  diameter_target: number | null;
  limits: { metric: string; limit_kind: string; limit: number }[];
}

const REGISTRY_REFRESH_MS = 60_000;

/** Each line's diameter target and high/low limits from GET /api/lines (rules change rarely: refreshed each minute). */
function useDiameterSpecs(): ReadonlyMap<string, DiameterSpec> {
  const { apiBase, auth } = useServices();
  const token = auth.session?.token ?? null;
  const [specs, setSpecs] = useState<ReadonlyMap<string, DiameterSpec>>(new Map());
  useEffect(() => {
    if (!apiBase || !auth.ready) return;
    const ctrl = new AbortController();
    const load = (): void => {
      apiJson<RegistryLine[]>(apiBase, '/api/lines', token, {}, ctrl.signal).then(
        (lines) => {
          const limit = (l: RegistryLine, kind: string) => l.limits.find((x) => x.metric === 'diameter' && x.limit_kind === kind)?.limit ?? null;
          setSpecs(new Map(lines.map((l) => [l.id, { target: l.diameter_target, low: limit(l, 'low'), high: limit(l, 'high') }])));
        },
        // The tiles work without it: the target line is extra information.
        () => undefined,
      );
    };
    load();
    const timer = setInterval(load, REGISTRY_REFRESH_MS);
    return () => {
      clearInterval(timer);
      ctrl.abort();
    };
  }, [apiBase, auth.ready, token]);
  return specs;
}

const SUMMARY_ORDER: readonly LineState[] = ['running', 'stopped', 'fault', 'offline'];

// Counts per line state; abnormal counts (fault, offline, stale) get the abnormal style only when non-zero.
function Summary({ ids, lines, now }: { ids: readonly string[]; lines: ReadonlyMap<string, LineView>; now: number }) {
  const counts = new Map<LineState, number>();
  let stale = 0;
  for (const id of ids) {
    const line = lines.get(id);
    const state = line?.status?.state;
    if (state) counts.set(state, (counts.get(state) ?? 0) + 1);
    if (line?.receivedAt != null && now > 0 && now - line.receivedAt > STALE_AFTER_MS) stale++;
  }
  return (
    <dl className={styles.summary} data-testid="summary">
      <div className={styles.summaryItem}>
        <dt>Lines</dt>
        <dd>{ids.length}</dd>
      </div>
      {SUMMARY_ORDER.map((state) => (
        <div key={state} className={styles.summaryItem} data-state={state} data-nonzero={(counts.get(state) ?? 0) > 0 || undefined}>
          <dt>{state}</dt>
          <dd>{counts.get(state) ?? 0}</dd>
        </div>
      ))}
      <div className={styles.summaryItem} data-state="stale" data-nonzero={stale > 0 || undefined}>
        <dt>stale</dt>
        <dd>{stale}</dd>
      </div>
    </dl>
  );
}
