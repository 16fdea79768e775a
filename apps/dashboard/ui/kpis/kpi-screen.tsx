'use client';

import { useEffect, useState } from 'react';
import type { AlarmSeverity } from '@lm/protocol';
import { apiJson } from '../../lib/api';
import { SEVERITIES_DESC } from '../../lib/alarm-store';
import { useServices } from '../../lib/realtime-context';
import { metricLabel, SeverityBadge } from '../alarms/severity';
import styles from './kpis.module.css';

// The parts of GET /api/alarms/kpis this screen shows (an HTTP response, not a stream message).
interface SourceRef {
  production_line_id: string;
  metric: string;
  limit_kind: string;
}
interface Kpis {
  window: { from: string; to: string; seconds: number };
  alarms_total: number;
  alarms_per_10min: { average: number; peak: number };
  flood: { intervals: number; seconds: number; percent_of_window: number };
  chattering: { count: number; alarms: (SourceRef & { max_per_minute: number })[] };
  stale: { count: number };
  top_bad_actors: (SourceRef & { count: number; percent: number })[];
  priority_mix: Record<AlarmSeverity, { count: number; percent: number }>;
  standing: number;
  shelved: number;
  suppressed: number;
}

const WINDOWS = ['1h', '24h', '7d', '30d'];
const REFRESH_MS = 30_000;

/** Alarm system performance (ISA-18.2 / EEMUA 191) over a window ending now. */
export function KpiScreen() {
  const { apiBase, auth } = useServices();
  const token = auth.session?.token ?? null;
  const [window, setWindow] = useState('24h');
  const [kpis, setKpis] = useState<Kpis | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!apiBase || !auth.ready) return;
    const ctrl = new AbortController();
    const load = (): void => {
      apiJson<Kpis>(apiBase, `/api/alarms/kpis?window=${window}`, token, {}, ctrl.signal).then(
        (k) => {
          setKpis(k);
          setError(null);
        },
        (err: unknown) => {
          if (!ctrl.signal.aborted) setError(err instanceof Error ? err.message : String(err));
        },
      );
    };
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      ctrl.abort();
      clearInterval(timer);
    };
  }, [apiBase, auth.ready, token, window]);

  return (
    <main className={styles.screen} data-testid="kpis">
      <div className={styles.head}>
        <h2 className={styles.h2}>Alarm KPIs</h2>
        <div className={styles.segmented} role="group" aria-label="Window">
          {WINDOWS.map((w) => (
            <button key={w} type="button" aria-pressed={w === window} onClick={() => setWindow(w)}>
              last {w}
            </button>
          ))}
        </div>
        {error ? <span className={styles.error}>{error}</span> : null}
      </div>
      {kpis ? (
        <>
          <div className={styles.cards}>
            <Card label="Alarms" value={kpis.alarms_total} />
            <Card
              label="Per 10 min, average"
              value={kpis.alarms_per_10min.average.toFixed(2)}
              target="≤ 1 (EEMUA: acceptable)"
              abnormal={kpis.alarms_per_10min.average > 1}
            />
            <Card label="Per 10 min, peak" value={kpis.alarms_per_10min.peak} target="≤ 10" abnormal={kpis.alarms_per_10min.peak > 10} />
            <Card
              label="Time in flood"
              value={`${kpis.flood.percent_of_window.toFixed(1)} %`}
              target="< 1 %"
              abnormal={kpis.flood.percent_of_window >= 1}
            />
            <Card label="Standing" value={kpis.standing} target="< 5" abnormal={kpis.standing >= 5} />
            <Card label="Shelved" value={kpis.shelved} />
            <Card label="Suppressed" value={kpis.suppressed} />
            <Card label="Chattering" value={kpis.chattering.count} target="0" abnormal={kpis.chattering.count > 0} />
            <Card label="Stale (> 24 h)" value={kpis.stale.count} target="0" abnormal={kpis.stale.count > 0} />
          </div>
          <section className={styles.panel}>
            <h3 className={styles.h3}>Priority mix</h3>
            <p className={styles.muted}>Target (ISA-18.2): about 80 % low, 15 % high, 5 % critical.</p>
            <ul className={styles.mix}>
              {SEVERITIES_DESC.map((s) => (
                <li key={s}>
                  <SeverityBadge severity={s} />
                  <span className={styles.bar}>
                    <span style={{ width: `${kpis.priority_mix[s].percent}%` }} />
                  </span>
                  <span className={styles.num}>
                    {kpis.priority_mix[s].count} · {kpis.priority_mix[s].percent.toFixed(1)} %
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section className={styles.panel}>
            <h3 className={styles.h3}>Top bad actors</h3>
            {kpis.top_bad_actors.length === 0 ? <p className={styles.muted}>None in this window.</p> : null}
            <table className={styles.table}>
              <tbody>
                {kpis.top_bad_actors.map((a) => (
                  <tr key={`${a.production_line_id}-${a.metric}-${a.limit_kind}`}>
                    <td>Line {a.production_line_id}</td>
                    <td>{metricLabel(a.metric)}</td>
                    <td>{a.limit_kind.replace('_', '-')}</td>
                    <td className={styles.num}>{a.count}</td>
                    <td className={styles.num}>{a.percent.toFixed(1)} %</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      ) : (
        <p className={styles.muted}>Loading…</p>
      )}
    </main>
  );
}

function Card({ label, value, target, abnormal }: { label: string; value: string | number; target?: string; abnormal?: boolean }) {
  return (
    <div className={styles.card} data-abnormal={abnormal || undefined}>
      <span className={styles.cardLabel}>{label}</span>
      <strong className={styles.cardValue}>
        {abnormal ? <span aria-label="outside target">▲ </span> : null}
        {value}
      </strong>
      {target ? <span className={styles.muted}>target {target}</span> : null}
    </div>
  );
}
