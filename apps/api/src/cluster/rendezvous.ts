import { createHash } from 'node:crypto';

/** Rendezvous (highest random weight) score of one instance for one line: stable, no coordination. */
function score(instanceId: string, lineId: string): bigint {
  return createHash('sha1').update(instanceId).update('\u0000').update(lineId).digest().readBigUInt64BE(0);
}

/**
 * The instance that owns a line among `members`: every instance computes the same answer from the same
 * membership, and a change of membership moves only the lines of the instance that came or went.
 */
export function ownerOf(lineId: string, members: Iterable<string>): string | null {
  let best: string | null = null;
  let bestScore = -1n;
  for (const m of members) {
    const s = score(m, lineId);
    if (s > bestScore || (s === bestScore && best !== null && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}
