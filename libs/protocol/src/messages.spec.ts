import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from './codes';
import { CLIENT_TYPES, parseClientFrame } from './messages';

describe('parseClientFrame', () => {
  it('accepts every client type with valid data', () => {
    const samples: Record<string, object> = {
      heartbeat: { client_id: 'c1' },
      subscribe: { lines: ['1', '2'], channels: ['production_data'], batch_ms: 100 },
      unsubscribe: { lines: ['1'] },
      resume: { epoch: 'e', last_seq: 10 },
      request_latest: {},
      request_status: {},
      alarm_ack: { alarm_id: 'a1', comment: 'checked heater' },
      alarm_shelve: { alarm_id: 'a1', duration_minutes: 30, reason: 'maintenance' },
      alarm_unshelve: { alarm_id: 'a1' },
    };
    expect(Object.keys(samples).sort()).toEqual([...CLIENT_TYPES].sort());
    for (const [type, data] of Object.entries(samples)) {
      const r = parseClientFrame(JSON.stringify({ type, timestamp: '2026-11-24T00:00:00Z', data: { ...data, request_id: 'r' } }));
      expect(r).toMatchObject({ ok: true, message: { type } });
    }
  });

  it.each([
    ['not JSON', '{nope', ErrorCode.INVALID_JSON],
    ['an array', '[1]', ErrorCode.INVALID_ENVELOPE],
    ['no type', '{"data":{}}', ErrorCode.INVALID_ENVELOPE],
    ['an unknown type', '{"type":"reboot","data":{}}', ErrorCode.UNKNOWN_TYPE],
    ['a prototype key as type', '{"type":"toString","data":{}}', ErrorCode.UNKNOWN_TYPE],
    ['data not an object', '{"type":"heartbeat","data":3}', ErrorCode.INVALID_DATA],
    ['lines not a list', '{"type":"subscribe","data":{"lines":"1"}}', ErrorCode.INVALID_DATA],
    ['an unknown channel', '{"type":"subscribe","data":{"lines":["1"],"channels":["video"]}}', ErrorCode.INVALID_DATA],
    ['a negative last_seq', '{"type":"resume","data":{"epoch":"e","last_seq":-1}}', ErrorCode.INVALID_DATA],
    ['an ack without alarm_id', '{"type":"alarm_ack","data":{}}', ErrorCode.INVALID_DATA],
  ])('refuses %s with code %s', (_name, raw, code) => {
    expect(parseClientFrame(raw)).toMatchObject({ ok: false, code });
  });

  it('echoes request_id on a refusal so the client can match it', () => {
    expect(parseClientFrame('{"type":"alarm_ack","data":{"request_id":"r42"}}')).toMatchObject({ ok: false, request_id: 'r42' });
  });
});
