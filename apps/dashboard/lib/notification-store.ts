import type { AlarmRecord, AlarmSeverity } from '@lm/protocol';

export interface NotificationItem {
  id: number;
  /** Epoch ms (client clock) of arrival. */
  at: number;
  level: 'info' | 'warning' | 'error';
  text: string;
  severity?: AlarmSeverity;
  alarmId?: string;
  read: boolean;
}

export interface NotificationSnapshot {
  items: readonly NotificationItem[];
  unread: number;
}

const MAX_ITEMS = 100;

/** The bell's list: `notification` messages and alarm events, newest first; read state per tab. */
export class NotificationStore {
  private items: NotificationItem[] = [];
  private snap: NotificationSnapshot = { items: [], unread: 0 };
  private readonly listeners = new Set<() => void>();
  private nextId = 1;
  private pending = false;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  readonly getSnapshot = (): NotificationSnapshot => this.snap;

  add(item: Omit<NotificationItem, 'id' | 'read' | 'at'>): void {
    this.items.unshift({ ...item, id: this.nextId++, at: Date.now(), read: false });
    if (this.items.length > MAX_ITEMS) this.items.length = MAX_ITEMS;
    this.publish();
  }

  /** Raised, acknowledged, shelved, cleared...: one line per state change the stream tells us about. */
  addAlarm(a: AlarmRecord, raised: boolean, previous: AlarmRecord | undefined): void {
    if (!raised && previous && previous.state === a.state) return;
    const what = raised
      ? 'raised'
      : a.state === 'acknowledged' && a.acknowledged_by
        ? `acknowledged by ${a.acknowledged_by}`
        : a.state.replace(/_/g, ' ');
    this.add({
      level: raised && (a.severity === 'critical' || a.severity === 'high') ? 'error' : 'warning',
      text: `Line ${a.production_line_id} ${a.message} — ${what}`,
      severity: a.severity,
      alarmId: a.id,
    });
  }

  markRead(id: number): void {
    this.items = this.items.map((i) => (i.id === id && !i.read ? { ...i, read: true } : i));
    this.publish();
  }

  markAllRead(): void {
    this.items = this.items.map((i) => (i.read ? i : { ...i, read: true }));
    this.publish();
  }

  // Coalesced to one update per task: a burst of alarm events re-renders the bell once.
  private publish(): void {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.snap = { items: this.items.slice(), unread: this.items.reduce((n, i) => n + (i.read ? 0 : 1), 0) };
      for (const l of this.listeners) l();
    });
  }
}
