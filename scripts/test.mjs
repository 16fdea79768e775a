#!/usr/bin/env node
// `npm test [tier...]`: every tier by default (unit, integration, e2e, browser). Installs what the tiers
// need when it can (Debian's chromium as root), builds the dashboard for the browser tier, then runs
// Jest in ESM mode. Extra arguments after `--` go to Jest.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { build } from './lib/build.mjs';
import { ensureDebianPackages } from './lib/system.mjs';

const TIERS = ['unit', 'integration', 'e2e', 'broker', 'browser', 'deploy'];
const args = process.argv.slice(2);
const sep = args.indexOf('--');
const tiers = (sep >= 0 ? args.slice(0, sep) : args).filter(Boolean);
const jestArgs = sep >= 0 ? args.slice(sep + 1) : [];
for (const t of tiers) {
  if (!TIERS.includes(t)) {
    console.error(`Unknown test tier "${t}". Tiers: ${TIERS.join(', ')}`);
    process.exit(2);
  }
}
const selected = tiers.length ? tiers : TIERS;

if (selected.includes('broker') || selected.includes('deploy')) {
  ensureDebianPackages([{ bin: '/usr/sbin/mosquitto', pkg: 'mosquitto', why: 'the broker and scale-out tests' }]);
  build('api');
}
if (selected.includes('browser') || selected.includes('deploy')) {
  ensureDebianPackages([{ bin: '/usr/bin/chromium', pkg: 'chromium', why: 'the browser tests' }]);
  build('simulator');
  build('dashboard');
}
if (selected.includes('deploy')) {
  ensureDebianPackages([
    { bin: '/usr/sbin/nginx', pkg: 'nginx', why: 'the nginx deployment tests' },
    { bin: '/usr/bin/openssl', pkg: 'openssl', why: 'the test certificates' },
  ]);
}

const jest = 'node_modules/jest/bin/jest.js';
if (!existsSync(jest)) {
  console.error('Jest is not installed: run `npm ci` first.');
  process.exit(2);
}
const r = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jest, '--runInBand', '--selectProjects', ...selected, ...jestArgs],
  { stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } },
);
process.exit(r.status ?? 1);
