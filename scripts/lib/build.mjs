// Builds what is out of date: a target is rebuilt when any of its sources is newer than its stamp.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

export const TARGETS = {
  api: {
    sources: ['apps/api/src', 'libs/protocol/src', 'tsconfig.json', 'apps/api/tsconfig.app.json', 'package-lock.json'],
    output: 'dist/apps/api/apps/api/src/main.js',
    command: ['node_modules/@nestjs/cli/bin/nest.js', 'build', 'api'],
  },
  simulator: {
    sources: ['apps/simulator/src', 'libs/protocol/src', 'tsconfig.json', 'apps/simulator/tsconfig.app.json', 'package-lock.json'],
    output: 'dist/apps/simulator/apps/simulator/src/main.js',
    command: ['node_modules/@nestjs/cli/bin/nest.js', 'build', 'simulator'],
  },
  dashboard: {
    sources: ['apps/dashboard', 'libs/protocol/src', 'libs/client/src', 'package-lock.json'],
    output: 'apps/dashboard/.next/BUILD_ID',
    command: ['node_modules/next/dist/bin/next', 'build', 'apps/dashboard'],
  },
};

const SKIP = new Set(['.next', 'node_modules', 'next-env.d.ts', 'tsconfig.tsbuildinfo']);

function newest(path) {
  const abs = join(ROOT, path);
  if (!existsSync(abs)) return 0;
  const st = statSync(abs);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const entry of readdirSync(abs)) {
    if (SKIP.has(entry) || entry.endsWith('.spec.ts')) continue;
    max = Math.max(max, newest(join(path, entry)));
  }
  return max;
}

const stampOf = (name) => join(ROOT, 'dist', `.${name}.stamp`);

export function isStale(name) {
  const t = TARGETS[name];
  const stamp = stampOf(name);
  if (!existsSync(join(ROOT, t.output)) || !existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return t.sources.some((s) => newest(s) > built);
}

export function build(name, { force = false } = {}) {
  if (!force && !isStale(name)) return false;
  const t = TARGETS[name];
  const started = Date.now();
  process.stdout.write(`[build] ${name}: building...\n`);
  const r = spawnSync(process.execPath, t.command, {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) {
    console.error(`[build] ${name} failed (exit ${r.status}). Fix the errors above and run again.`);
    process.exit(1);
  }
  mkdirSync(dirname(stampOf(name)), { recursive: true });
  writeFileSync(stampOf(name), new Date().toISOString());
  process.stdout.write(`[build] ${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

export { ROOT };
