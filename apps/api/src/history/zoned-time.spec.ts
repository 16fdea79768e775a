import { describe, expect, it } from '@jest/globals';
import { ZonedTimeFormatter } from './zoned-time';

describe(ZonedTimeFormatter.name, () => {
  it('writes UTC with +00:00', () => {
    expect(new ZonedTimeFormatter('UTC').format(Date.parse('2026-01-05T10:20:30.045Z'))).toBe('2026-01-05T10:20:30.045+00:00');
  });

  it('crosses the spring-forward change in Europe/Berlin (2026-03-29, 02:00 -> 03:00)', () => {
    const f = new ZonedTimeFormatter('Europe/Berlin');
    expect(f.format(Date.parse('2026-03-29T00:59:59.900Z'))).toBe('2026-03-29T01:59:59.900+01:00');
    expect(f.format(Date.parse('2026-03-29T01:00:00.000Z'))).toBe('2026-03-29T03:00:00.000+02:00');
  });

  it('keeps the repeated hour apart in America/New_York (2026-11-01, 02:00 -> 01:00)', () => {
    const f = new ZonedTimeFormatter('America/New_York');
    expect(f.format(Date.parse('2026-11-01T05:30:00.000Z'))).toBe('2026-11-01T01:30:00.000-04:00');
    expect(f.format(Date.parse('2026-11-01T06:30:00.000Z'))).toBe('2026-11-01T01:30:00.000-05:00');
  });

  it('handles zones with non-hour offsets and negative epochs', () => {
    expect(new ZonedTimeFormatter('Asia/Kathmandu').format(Date.parse('2026-06-01T00:00:00Z'))).toBe('2026-06-01T05:45:00.000+05:45');
    expect(new ZonedTimeFormatter('UTC').format(Date.parse('1969-12-31T23:59:59.500Z'))).toBe('1969-12-31T23:59:59.500+00:00');
  });
});
