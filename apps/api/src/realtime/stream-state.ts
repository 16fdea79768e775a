import { STREAM_TYPES, channelOf, type StreamType } from '@lm/protocol';
import { StreamEntry } from './stream-entry';

/** One kept message as stored: `[seq, type, line_id, frame]` (the frame exactly as it was sent). */
export type SavedEntry = [seq: number, type: StreamType, lineId: string | null, frame: string];

/** The live stream as a graceful shutdown leaves it: what the next start of the instance continues. */
export interface StreamState {
  epoch: string;
  /** Seq of the last message published. */
  seq: number;
  /** The replay ring, oldest first. */
  entries: StreamEntry[];
}

/** What the store keeps (stream_state row). */
export interface SavedStreamState {
  epoch: string;
  seq: number;
  ring: SavedEntry[];
}

/** Where a graceful shutdown leaves the stream for the next start (the repository, or a test double). */
export interface StreamStateStore {
  /** Reads this instance's saved state and deletes it in the same statement: a state is used at most once. */
  take(instanceId: string): Promise<SavedStreamState | null>;
  save(instanceId: string, state: SavedStreamState): Promise<void>;
}

export function toSaved(state: StreamState): SavedStreamState {
  return { epoch: state.epoch, seq: state.seq, ring: state.entries.map((e) => [e.seq, e.type, e.lineId, e.frame]) };
}

const streamTypes = new Set<string>(STREAM_TYPES);

/**
 * The state to continue, or a reason it cannot be (then the stream starts a new epoch). The ring must be
 * consecutive seqs ending at `seq`: anything else would replay a stream with a hole as if it had none.
 */
export function fromSaved(saved: SavedStreamState): StreamState | string {
  const { epoch, seq, ring } = saved;
  if (typeof epoch !== 'string' || epoch.length === 0) return 'no epoch';
  if (!Number.isSafeInteger(seq) || seq < 0) return `bad seq ${String(seq)}`;
  if (!Array.isArray(ring)) return 'ring is not a list';
  const entries: StreamEntry[] = [];
  for (const [i, item] of ring.entries()) {
    if (!Array.isArray(item) || item.length !== 4) return `ring entry ${i} is not [seq, type, line_id, frame]`;
    const [s, type, lineId, frame] = item as unknown[];
    const expected = seq - ring.length + 1 + i;
    if (s !== expected) return `ring entry ${i} has seq ${String(s)}, expected ${expected}`;
    if (typeof type !== 'string' || !streamTypes.has(type)) return `ring entry ${i} has type ${String(type)}`;
    if (lineId !== null && typeof lineId !== 'string') return `ring entry ${i} has a bad line id`;
    if (typeof frame !== 'string') return `ring entry ${i} has no frame`;
    entries.push(new StreamEntry(s, type as StreamType, channelOf(type as StreamType), lineId, frame));
  }
  return { epoch, seq, entries };
}
