import { describe, expect, it } from '@jest/globals';
import { PeerSequences, parseControl, parsePeerBatch, parsePresence } from './peer-stream';

describe('parsePeerBatch', () => {
  it('takes a batch of stream messages', () => {
    const b = { v: 1, from: 'api-1', boot: 'b1', n: 3, items: [['production_data', '1', '2026-11-24T00:00:00.000Z', { diameter: 20 }]] };
    expect(parsePeerBatch(Buffer.from(JSON.stringify(b)))).toEqual(b);
  });

  it.each([
    ['not JSON', 'nope'],
    ['another version', JSON.stringify({ v: 2, from: 'a', boot: 'b', n: 1, items: [] })],
    ['an unknown type', JSON.stringify({ v: 1, from: 'a', boot: 'b', n: 1, items: [['drop_table', null, 't', {}]] })],
    ['a short item', JSON.stringify({ v: 1, from: 'a', boot: 'b', n: 1, items: [['alarm', null, 't']] })],
    ['no counter', JSON.stringify({ v: 1, from: 'a', boot: 'b', items: [] })],
  ])('refuses %s', (_what, payload) => {
    expect(parsePeerBatch(Buffer.from(payload))).toBeNull();
  });
});

describe('parsePresence', () => {
  it('reads a presence and treats an empty payload (a cleared retained message) as gone', () => {
    expect(parsePresence(Buffer.from(JSON.stringify({ id: 'api-1', boot: 'x', at: 5 })))).toEqual({ id: 'api-1', boot: 'x', at: 5 });
    expect(parsePresence(Buffer.alloc(0))).toBeNull();
  });
});

describe('parseControl', () => {
  it('takes a known announcement and nothing else', () => {
    expect(parseControl(Buffer.from(JSON.stringify({ from: 'api-1', kind: 'rules_changed' })))).toEqual({ from: 'api-1', kind: 'rules_changed' });
    expect(parseControl(Buffer.from(JSON.stringify({ from: 'api-1', kind: 'drop_everything' })))).toBeNull();
    expect(parseControl(Buffer.from('{'))).toBeNull();
  });
});

describe('PeerSequences', () => {
  it('accepts consecutive batches and reports a hole', () => {
    const s = new PeerSequences();
    expect(s.accept('a', 'b1', 7)).toBe('ok');
    expect(s.accept('a', 'b1', 8)).toBe('ok');
    expect(s.accept('a', 'b1', 10)).toBe('gap');
    expect(s.accept('a', 'b1', 11)).toBe('ok');
  });

  it('starts again for a new life of the sender, and per sender', () => {
    const s = new PeerSequences();
    s.accept('a', 'b1', 1);
    expect(s.accept('a', 'b2', 1)).toBe('ok');
    expect(s.accept('c', 'z', 40)).toBe('ok');
    expect(s.accept('a', 'b2', 2)).toBe('ok');
  });
});
