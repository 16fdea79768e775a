import { describe, expect, it } from '@jest/globals';
import { parseTopic, topics } from './topics';

describe('topics', () => {
  it('builds and parses the same topics', () => {
    expect(parseTopic(topics.telemetry('7'))).toEqual({ lineId: '7', kind: 'telemetry' });
    expect(parseTopic(topics.status('L-2'))).toEqual({ lineId: 'L-2', kind: 'status' });
  });

  it.each(['plant/lines/1', 'plant/lines/1/telemetry/x', 'other/lines/1/telemetry', 'plant/lines/a b/telemetry', 'plant/lines/1/reply'])(
    'rejects %s',
    (t) => expect(parseTopic(t)).toBeNull(),
  );

  it('builds a shared subscription', () => {
    expect(topics.shared('line-monitor', topics.allTelemetry)).toBe('$share/line-monitor/plant/lines/+/telemetry');
  });
});
