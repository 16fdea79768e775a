const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Formats instants as ISO-8601 local time with the UTC offset of an IANA zone
 * (`2026-03-29T03:00:00.000+02:00`), with the Intl API only. The offset is looked up once per UTC
 * minute (zone rules change offsets on whole minutes), so a million rows cost a few thousand lookups.
 */
export class ZonedTimeFormatter {
  private readonly parts: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    this.parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  /** Offset from UTC in minutes at `ms`. */
  offsetMinutes(ms: number): number {
    const minute = Math.floor(ms / 60_000);
    let off = this.offsets.get(minute);
    if (off === undefined) {
      const p: Record<string, number> = {};
      for (const part of this.parts.formatToParts(minute * 60_000)) if (part.type !== 'literal') p[part.type] = Number(part.value);
      off = Math.round((Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - minute * 60_000) / 60_000);
      if (this.offsets.size > 100_000) this.offsets.clear();
      this.offsets.set(minute, off);
    }
    return off;
  }

  format(ms: number): string {
    const off = this.offsetMinutes(ms);
    const local = new Date(ms + off * 60_000);
    const sign = off < 0 ? '-' : '+';
    const abs = Math.abs(off);
    return (
      `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
      `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(local.getUTCMilliseconds(), 3)}` +
      `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    );
  }
}
