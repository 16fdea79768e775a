// Small helpers shared by the benchmarks: statistics, progress line, process CPU/RSS, ports, waiting.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const QUICK = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => performance.now();

/** A TCP port free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes (then resolves to null). */
export async function waitFor(check, { timeoutMs = 10_000, everyMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() >= deadline) return null;
    await sleep(everyMs);
  }
}

// ---------- statistics ----------

/** Percentile by nearest rank of an unsorted numeric array (sorted copy); null when empty. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}

export function latencySummary(values) {
  if (values.length === 0) return { n: 0, p50: null, p99: null, p999: null, max: null };
  const s = Float64Array.from(values).sort();
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  return { n: s.length, p50: at(50), p99: at(99), p999: at(99.9), max: s[s.length - 1] };
}

/** Median and spread of repeated runs: {median, min, max, runs}. Nulls are ignored. */
export function spread(values) {
  const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x));
  if (v.length === 0) return { median: null, min: null, max: null, runs: values };
  const s = [...v].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: values };
}

/** Formats a number for tables: 3 significant digits, thousands as k. */
export function fmt(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toPrecision(digits)}M`;
  if (a >= 1e4) return `${(x / 1e3).toPrecision(digits)}k`;
  if (a >= 100) return x.toFixed(0);
  return x.toPrecision(digits).replace(/\.?0+$/, (m) => (m.includes('.') ? '' : m));
}

/** "median (min-max)" */
export function fmtSpread(s, unit = '') {
  if (!s || s.median === null) return 'n/a';
  return `${fmt(s.median)}${unit} (${fmt(s.min)}-${fmt(s.max)})`;
}

export const ratio = (a, b) => (a === null || b === null || !b ? null : a / b);

// ---------- processes (Linux /proc) ----------

const CLK_TCK = 100;

/** utime + stime of a process (all its threads) in seconds; null when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may hold spaces: split after the closing parenthesis.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Resident set size in bytes; null when the process is gone. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

// ---------- progress ----------

let lastProgressAt = 0;
/** One progress line per call, at most about one per second unless `force`. */
export function progress(msg, force = false) {
  const t = Date.now();
  if (!force && t - lastProgressAt < 1000) return;
  lastProgressAt = t;
  const stamp = new Date().toISOString().slice(11, 19);
  process.stdout.write(`[bench ${stamp}] ${msg}\n`);
}
export const step = (msg) => progress(msg, true);
