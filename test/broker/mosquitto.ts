import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { freePort } from '../support/ports';
import { waitFor } from '../support/waiting';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Mosquitto {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real mosquitto on a random port with persistence, configured as production should be for ingest:
 * unacknowledged QoS 1 messages are held, not dropped (mosquitto's default `max_queued_messages 1000`
 * silently drops them for a subscriber that lags), and enough of them may be in flight to the api for
 * its batches to fill (`max_inflight_messages`, default 20).
 */
export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'lm-mosquitto-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      'max_inflight_messages 1000',
      'max_queued_messages 1000000',
      'set_tcp_nodelay true',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-10_000)));
  child.stderr?.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-10_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = netConnect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    `mosquitto on port ${port} (${out})`,
    10_000,
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
