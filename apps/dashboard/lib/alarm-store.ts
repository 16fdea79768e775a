import { OPEN_ALARM_STATES, type AlarmRecord, type AlarmSeverity } from '@lm/protocol';

/** Highest first: the order of the banner, the counts and the default sort. */
export const SEVERITY_RANK: Record<AlarmSeverity, number> = { critical: 4, high: 3, medium: 2, low: 1 };
export const SEVERITIES_DESC: readonly AlarmSeverity[] = ['critical', 'high', 'medium', 'low'];

export const isOpen = (a: AlarmRecord): boolean => OPEN_ALARM_STATES.includes(a.state);
/** Waiting for a person: the banner's business. */
export const needsAck = (a: AlarmRecord): boolean => a.state === 'unacknowledged' || a.state === 'rtn_unacknowledged';

export type SeverityCounts = Record<AlarmSeverity, number>;
export const zeroCounts = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0 });

/** Newest `raised_at` first within the same severity. */
export const byPriority = (a: AlarmRecord, b: AlarmRecord): number =>
  SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || Date.parse(b.raised_at) - Date.parse(a.raised_at);

/** What the alarm views read; a new object only when an alarm changed (per animation frame at most). */
export interface AlarmSnapshot {
  /** Open alarms by id. */
  open: ReadonlyMap<string, AlarmRecord>;
  /** Every record seen on the stream, open or closed (the detail panel follows a closed one too). */
  byId: ReadonlyMap<string, AlarmRecord>;
  /** Whether a snapshot with the active alarms has arrived yet. */
  loaded: boolean;
  /** Bumped on every change. */
  version: number;
}

/**
 * The live alarm set, fed by `snapshot.active_alarms` and the `alarm`/`alarm_update` stream, read by
 * components through useSyncExternalStore. Changes land in a Map at once; listeners hear about them at
 * most once per animation frame.
 */
export class AlarmStore {
  private readonly records = new Map<string, AlarmRecord>();
  private snap: AlarmSnapshot = { open: new Map(), byId: new Map(), loaded: false, version: 0 };
  private readonly listeners = new Set<() => void>();
  private frame = 0;
  private loaded = false;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  readonly getSnapshot = (): AlarmSnapshot => this.snap;

  get(id: string): AlarmRecord | undefined {
    return this.records.get(id);
  }

  /** The whole active set from a snapshot: anything open we hold but it lacks was closed meanwhile. */
  replaceActive(active: readonly AlarmRecord[]): void {
    const ids = new Set(active.map((a) => a.id));
    for (const [id, a] of this.records) if (isOpen(a) && !ids.has(id)) this.records.delete(id);
    for (const a of active) this.records.set(a.id, a);
    this.loaded = true;
    this.schedule();
  }

  /** `alarm` or `alarm_update`: the whole record replaces ours. */
  upsert(a: AlarmRecord): void {
    this.records.set(a.id, a);
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    const run = (): void => {
      this.frame = 0;
      const open = new Map<string, AlarmRecord>();
      for (const [id, a] of this.records) if (isOpen(a)) open.set(id, a);
      this.snap = { open, byId: new Map(this.records), loaded: this.loaded, version: this.snap.version + 1 };
      for (const l of this.listeners) l();
    };
    // Hidden tabs get no animation frames: fall back to a timer so the state is right when shown again.
    this.frame =
      typeof document !== 'undefined' && document.hidden ? (setTimeout(run, 250) as unknown as number) : requestAnimationFrame(run);
  }

  dispose(): void {
    if (this.frame) {
      cancelAnimationFrame(this.frame);
      clearTimeout(this.frame);
    }
    this.listeners.clear();
  }
}

export function countBySeverity(alarms: Iterable<AlarmRecord>, filter: (a: AlarmRecord) => boolean = () => true): SeverityCounts {
  const c = zeroCounts();
  for (const a of alarms) if (filter(a)) c[a.severity]++;
  return c;
}
