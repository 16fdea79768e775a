// Debian packages some tiers need (chromium for the browser tests, mosquitto for broker tests).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let updated = false;

/** Installs the missing ones with apt-get when running as root; otherwise says what to install and exits. */
export function ensureDebianPackages(needs) {
  const missing = needs.filter((n) => !existsSync(n.bin));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !existsSync('/usr/bin/apt-get')) {
    console.error(
      `Missing: ${missing.map((m) => `${m.bin} (Debian package ${m.pkg}, for ${m.why})`).join('; ')}.\n` +
        `Install with: sudo apt-get install -y ${pkgs.join(' ')}`,
    );
    process.exit(2);
  }
  console.log(`[setup] installing ${pkgs.join(' ')} (apt-get) for ${missing.map((m) => m.why).join(', ')}...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    updated = true;
  }
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
  if (r.status !== 0 || missing.some((m) => !existsSync(m.bin))) {
    console.error(`[setup] apt-get install ${pkgs.join(' ')} failed`);
    process.exit(2);
  }
}
