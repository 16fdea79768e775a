'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useCallback } from 'react';
import { ActiveAlarmTable } from './active-alarm-table';
import { AlarmDetail } from './alarm-detail';
import { AlarmHistory } from './alarm-history';
import styles from './alarms.module.css';

/** /alarms: the active table, the selected alarm with its trail and commands, and the history. */
export function AlarmsScreen() {
  return (
    <Suspense fallback={null}>
      <AlarmsBody />
    </Suspense>
  );
}

function AlarmsBody() {
  const params = useSearchParams();
  const router = useRouter();
  const selected = params.get('id');
  const select = useCallback(
    (id: string | null) => router.replace(id ? `/alarms?id=${encodeURIComponent(id)}` : '/alarms', { scroll: false }),
    [router],
  );
  return (
    <main className={styles.screen}>
      <section className={styles.activePane} aria-labelledby="active-alarms">
        <h2 id="active-alarms" className={styles.h2}>
          Active alarms
        </h2>
        <ActiveAlarmTable selected={selected} onSelect={select} />
      </section>
      <aside className={styles.detailPane} aria-label="Selected alarm">
        {selected ? (
          <AlarmDetail id={selected} onClose={() => select(null)} />
        ) : (
          <p className={styles.muted}>Select an alarm to see its event trail and to acknowledge or shelve it.</p>
        )}
      </aside>
      <section className={styles.historyPane} aria-labelledby="alarm-history">
        <h2 id="alarm-history" className={styles.h2}>
          Alarm history
        </h2>
        <AlarmHistory selected={selected} onSelect={select} />
      </section>
    </main>
  );
}
