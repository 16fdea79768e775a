import { describe, expect, it } from '@jest/globals';
import { StreamEntry } from './stream-entry';
import { fromSaved, toSaved, type SavedEntry, type SavedStreamState } from './stream-state';

function entry(seq: number, type: 'production_data' | 'notification' = 'production_data'): StreamEntry {
  const lineId = type === 'notification' ? null : '1';
  return new StreamEntry(seq, type, type === 'notification' ? null : 'production_data', lineId, JSON.stringify({ type, seq }));
}

describe('stream state', () => {
  it('round-trips through JSON with the frames byte for byte and the channels derived again', () => {
    const saved = toSaved({ epoch: 'e1', seq: 8, entries: [entry(7), entry(8, 'notification')] });
    const back = fromSaved(JSON.parse(JSON.stringify(saved)) as SavedStreamState);
    if (typeof back === 'string') throw new Error(back);
    expect(back.epoch).toBe('e1');
    expect(back.seq).toBe(8);
    expect(back.entries.map((e) => [e.seq, e.type, e.channel, e.lineId, e.frame])).toEqual([
      [7, 'production_data', 'production_data', '1', '{"type":"production_data","seq":7}'],
      [8, 'notification', null, null, '{"type":"notification","seq":8}'],
    ]);
  });

  it('accepts an empty ring (nothing published, or WS_REPLAY_BUFFER=0)', () => {
    expect(fromSaved({ epoch: 'e', seq: 42, ring: [] })).toMatchObject({ seq: 42, entries: [] });
  });

  it.each<[string, SavedStreamState]>([
    ['no epoch', { epoch: '', seq: 1, ring: [] }],
    ['a negative seq', { epoch: 'e', seq: -1, ring: [] }],
    ['a ring that does not end at seq', { epoch: 'e', seq: 3, ring: [[1, 'production_data', '1', '{}']] }],
    ['a hole in the ring', { epoch: 'e', seq: 3, ring: [[1, 'production_data', '1', '{}'], [3, 'production_data', '1', '{}']] }],
    ['an unknown type', { epoch: 'e', seq: 1, ring: [[1, 'heartbeat', null, '{}'] as unknown as SavedEntry] }],
    ['a missing frame', { epoch: 'e', seq: 1, ring: [[1, 'production_data', '1'] as unknown as SavedEntry] }],
    ['a ring that is not a list', { epoch: 'e', seq: 1, ring: {} as unknown as SavedEntry[] }],
  ])('refuses %s', (_why, saved) => {
    expect(typeof fromSaved(saved)).toBe('string');
  });
});
