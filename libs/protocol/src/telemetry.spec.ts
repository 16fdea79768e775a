import { describe, expect, it } from '@jest/globals';
import { formatIssues, parseTelemetry } from './telemetry';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const good = { body_temperatures: [180.1, 200, 215.5, 230], diameter: 20.012, line_speed: 12.5, melt_pressure: 160, screw_speed: 62 };

describe('parseTelemetry', () => {
  it('accepts a bare reading and stamps it with the receipt time when it has no timestamp', () => {
    const r = parseTelemetry(good, NOW);
    expect(r).toEqual({
      ok: true,
      backfill: false,
      readings: [{ time: new Date(NOW), ...good, msg_id: null }],
    });
  });

  it('takes ISO-8601 and epoch-millisecond timestamps', () => {
    const iso = parseTelemetry({ ...good, timestamp: '2026-11-24T11:59:59.500Z' }, NOW);
    const ms = parseTelemetry({ ...good, timestamp: NOW - 500 }, NOW);
    expect(iso.ok && iso.readings[0].time.toISOString()).toBe('2026-11-24T11:59:59.500Z');
    expect(ms.ok && ms.readings[0].time.getTime()).toBe(NOW - 500);
  });

  it('accepts the {ts, values} form', () => {
    const r = parseTelemetry({ ts: NOW - 1000, values: { diameter: 25 }, msg_id: 7 }, NOW);
    expect(r.ok && r.readings[0]).toMatchObject({ time: new Date(NOW - 1000), diameter: 25, msg_id: '7' });
  });

  it('marks an array of readings as backfill, each with its own timestamp', () => {
    const r = parseTelemetry([{ ...good, timestamp: NOW - 2000 }, { ...good, timestamp: NOW - 1000 }], NOW);
    expect(r.ok && r.backfill).toBe(true);
    expect(r.ok && r.readings.map((x) => x.time.getTime())).toEqual([NOW - 2000, NOW - 1000]);
  });

  it.each([
    ['a string', 'hello', 'payload'],
    ['a wrong type', { diameter: '20' }, 'diameter: must be a finite number'],
    ['an impossible value', { diameter: -1 }, 'diameter: out of range'],
    ['a zone out of range', { body_temperatures: [200, 9000] }, 'body_temperatures.1: out of range'],
    ['too many zones', { body_temperatures: new Array(17).fill(200) }, 'body_temperatures: must be an array'],
    ['NaN smuggled as null-ish', { line_speed: Number.NaN }, 'line_speed: must be a finite number'],
    ['no metric at all', { timestamp: NOW }, 'has no metric'],
    ['a timestamp in the future', { diameter: 20, timestamp: NOW + 3600_000 }, 'timestamp: is in the future'],
    ['a timestamp that is not a date', { diameter: 20, timestamp: 'yesterday' }, 'timestamp: is not a valid'],
    ['an empty backfill', [], 'backfill must hold'],
    ['an overlong msg_id', { diameter: 20, msg_id: 'x'.repeat(129) }, 'msg_id: must be a string'],
    ['a NUL in msg_id (PostgreSQL text cannot hold it)', { diameter: 20, msg_id: 'a\u0000b' }, 'msg_id: must be a string'],
    ['an object as the envelope msg_id', { values: { diameter: 20 }, msg_id: { n: 1 } }, 'msg_id: must be a string'],
    ['a fractional envelope msg_id', { values: { diameter: 20 }, msg_id: 1.5 }, 'msg_id: must be a string'],
  ])('refuses %s with a reason naming the field', (_name, payload, reason) => {
    const r = parseTelemetry(payload, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatIssues(r.issues)).toContain(reason);
  });
});
