import { STREAM_TYPES, type StreamType } from '@lm/protocol';

/**
 * The broker topics instances talk on (docs/adr/0005-scale-out.md). Not device topics: devices may not
 * publish here (the api account alone has `#`).
 */
export const PEER_TOPIC_PREFIX = 'line-monitor';
export const streamTopic = (instanceId: string): string => `${PEER_TOPIC_PREFIX}/stream/${instanceId}`;
export const STREAM_TOPICS = `${PEER_TOPIC_PREFIX}/stream/+`;
export const presenceTopic = (instanceId: string, boot: string): string => `${PEER_TOPIC_PREFIX}/instances/${instanceId}/${boot}`;
export const PRESENCE_TOPICS = `${PEER_TOPIC_PREFIX}/instances/+/+`;
/** Announcements between instances, e.g. `{"from": "api-1", "kind": "rules_changed"}`. */
export const controlTopic = (instanceId: string): string => `${PEER_TOPIC_PREFIX}/control/${instanceId}`;
export const CONTROL_TOPICS = `${PEER_TOPIC_PREFIX}/control/+`;
export const CONTROL_KINDS = ['rules_changed'] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

export function parseControl(payload: Buffer): { from: string; kind: ControlKind } | null {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { from?: unknown; kind?: unknown };
    return typeof v.from === 'string' && (CONTROL_KINDS as readonly unknown[]).includes(v.kind) ? { from: v.from, kind: v.kind as ControlKind } : null;
  } catch {
    return null;
  }
}

/** One committed stream message: type, line, timestamp, data (what RealtimeService.publish takes). */
export type PeerItem = [type: StreamType, lineId: string | null, timestamp: string, data: unknown];

/**
 * One broker message between instances: every stream message an instance committed in one event-loop
 * turn. `n` counts this instance's batches since `boot` (one process life), so a receiver can tell that
 * it missed one.
 */
export interface PeerBatch {
  v: 1;
  from: string;
  boot: string;
  n: number;
  items: PeerItem[];
}

export interface Presence {
  id: string;
  boot: string;
  /** Sender's clock, ms; refreshed by a heartbeat so a presence whose will was lost still expires. */
  at: number;
}

const STREAM_TYPE_SET = new Set<string>(STREAM_TYPES);

/** Parses a peer batch; null when it is not one (a foreign or broken message is ignored, and counted). */
export function parsePeerBatch(payload: Buffer): PeerBatch | null {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const b = v as Partial<PeerBatch>;
  if (b.v !== 1 || typeof b.from !== 'string' || typeof b.boot !== 'string' || !Number.isSafeInteger(b.n) || !Array.isArray(b.items)) return null;
  for (const it of b.items as unknown[]) {
    if (!Array.isArray(it) || it.length !== 4 || !STREAM_TYPE_SET.has(it[0] as string) || typeof it[2] !== 'string') return null;
    if (it[1] !== null && typeof it[1] !== 'string') return null;
  }
  return b as PeerBatch;
}

export function parsePresence(payload: Buffer): Presence | null {
  if (payload.length === 0) return null;
  try {
    const p = JSON.parse(payload.toString('utf8')) as Partial<Presence>;
    return typeof p.id === 'string' && typeof p.boot === 'string' && typeof p.at === 'number' ? (p as Presence) : null;
  } catch {
    return null;
  }
}

/**
 * Per sender, whether batches arrive without a hole: the first batch seen from a process life starts
 * the count (what came before we listened is not ours to miss); after that, `n` must go up by one.
 */
export class PeerSequences {
  private readonly last = new Map<string, { boot: string; n: number }>();

  /** 'ok', or 'gap' when batches of this sender were missed. */
  accept(from: string, boot: string, n: number): 'ok' | 'gap' {
    const prev = this.last.get(from);
    this.last.set(from, { boot, n });
    if (!prev || prev.boot !== boot) return 'ok';
    return n === prev.n + 1 ? 'ok' : 'gap';
  }

  /** After our own reconnect: counts start again (the gap is handled as a whole). */
  reset(): void {
    this.last.clear();
  }
}
