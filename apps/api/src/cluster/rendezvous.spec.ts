import { describe, expect, it } from '@jest/globals';
import { ownerOf } from './rendezvous';

const LINES = Array.from({ length: 200 }, (_, i) => `line-${i + 1}`);

describe('ownerOf (rendezvous hashing)', () => {
  it('gives every line exactly one owner, the same whatever the order of members', () => {
    for (const line of LINES) {
      const a = ownerOf(line, ['api-1', 'api-2', 'api-3']);
      expect(['api-1', 'api-2', 'api-3']).toContain(a);
      expect(ownerOf(line, ['api-3', 'api-1', 'api-2'])).toBe(a);
    }
  });

  it('spreads lines over the members', () => {
    const counts = new Map<string, number>();
    for (const line of LINES) {
      const o = ownerOf(line, ['api-1', 'api-2']);
      counts.set(o!, (counts.get(o!) ?? 0) + 1);
    }
    expect(counts.get('api-1')).toBeGreaterThan(60);
    expect(counts.get('api-2')).toBeGreaterThan(60);
  });

  it('moves only the lines of an instance that leaves', () => {
    for (const line of LINES) {
      const before = ownerOf(line, ['api-1', 'api-2', 'api-3']);
      const after = ownerOf(line, ['api-1', 'api-2']);
      if (before !== 'api-3') expect(after).toBe(before);
    }
  });

  it('has no owner without members', () => {
    expect(ownerOf('1', [])).toBeNull();
  });
});
