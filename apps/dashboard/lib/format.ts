/** Shown where a value is missing: never a zero that could be read as a measurement. */
export const NO_VALUE = '—';

export function formatNumber(value: number | null | undefined, decimals: number): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(decimals) : NO_VALUE;
}

/** "<1 s", "12 s", "4 min", "2 h": how long ago, at a glance. */
export function formatAge(ms: number): string {
  if (ms < 1000) return '<1 s';
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h`;
}

const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** Local wall-clock time, 24 h, for epoch ms or an ISO string. */
export function formatClock(time: number | string | null): string {
  if (time === null) return NO_VALUE;
  const ms = typeof time === 'number' ? time : Date.parse(time);
  return Number.isFinite(ms) ? clock.format(ms) : NO_VALUE;
}
