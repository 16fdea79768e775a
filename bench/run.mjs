#!/usr/bin/env node
// `npm run bench [-- names...]`: runs the benchmarks (all by default) against a fresh build of the api and
// the bare baselines, writes bench/results/<name>-<timestamp>.{json,md}, then bench/README.md's results
// block and the plots. BENCH_QUICK=1: one short run each (smoke, ~2 min). BENCH_SCALE=0.05 scales client
// counts down (for trying the harness on a busy machine). BENCH_NO_BUILD=1 uses dist/ as it is.
import { spawnSync } from 'node:child_process';
import { QUICK, step } from './lib/util.mjs';
import { BENCH_LINES, LOAD_CORE, connect, snapshotApi, startBare, startMosquitto, startOurApi, startPostgres } from './lib/infra.mjs';
import { machine, writeResult } from './lib/results.mjs';
import { RawMqtt } from './lib/raw-mqtt.mjs';

const ALL = ['fanout', 'e2e', 'ingest', 'history', 'recovery', 'eventloop', 'tuning'];
// Run by default; `tuning` (experiments on the baseline) only when named.
const DEFAULT = ALL.filter((n) => n !== 'tuning');

// The harness (load generator, PostgreSQL, mosquitto: all its children) runs on the load core; the process
// under test is started on the server core (lib/infra.mjs).
if (process.env.BENCH_PINNED !== '1') {
  const r = spawnSync('taskset', ['-c', LOAD_CORE, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = names.length ? names : DEFAULT;
for (const n of selected) if (!ALL.includes(n)) throw new Error(`unknown benchmark "${n}" (one of ${ALL.join(', ')})`);

const started = Date.now();
// The whole run stops by itself: a hung step must not keep the machine busy.
const LIMIT_MS = Number(process.env.BENCH_TIME_LIMIT_S ?? (QUICK ? 480 : 1500)) * 1000;
const watchdog = setTimeout(() => {
  console.error(`[bench] time limit of ${LIMIT_MS / 1000} s reached: stopping`);
  void cleanup().finally(() => process.exit(3));
}, LIMIT_MS);
watchdog.unref();

const api = snapshotApi();
step(`api build ${api.commit}; starting PostgreSQL and mosquitto`);
const pg = await startPostgres();
const mosq = await startMosquitto();
const servers = new Set();
let cleaning = null;
async function cleanup() {
  cleaning ??= (async () => {
    for (const s of servers) await s.stop().catch(() => undefined);
    await mosq.stop().catch(() => undefined);
    await pg.stop().catch(() => undefined);
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void cleanup().finally(() => process.exit(130)));

// A template database: migrated and seeded by our api once, plus lines 9..16.
const TEMPLATE = 'lm_bench_template';
async function makeTemplate() {
  step('template database: migrations and demo seed by our api');
  const url = await pg.create(TEMPLATE);
  const clientId = `bench-template-${Date.now()}`;
  const s = track(await startOurApi({ main: api.main, databaseUrl: url, mqttUrl: mosq.url, clientId, name: 'api-template' }), clientId);
  await s.stop();
  const c = await connect(url);
  await c.query(`INSERT INTO lines (id, name) SELECT id, 'Bench line ' || id FROM unnest($1::text[]) AS id ON CONFLICT (id) DO NOTHING`, [BENCH_LINES]);
  // The template api's graceful stop saved its stream: clones must not continue it.
  await c.query('DELETE FROM stream_state');
  await c.end();
}

let serial = 0;
/**
 * Stopping a server also ends its persistent MQTT session (a clean connect with its client id): an
 * abandoned session keeps queueing every telemetry message in mosquitto, which would slow the broker
 * down for every later benchmark. `keepSession` (an api restart) keeps it.
 */
const track = (s, clientId) => {
  servers.add(s);
  const stop = s.stop.bind(s);
  s.stop = async (sig, keepSession = false) => {
    await stop(sig);
    servers.delete(s);
    if (!keepSession && clientId) {
      const c = await new RawMqtt(mosq.url, clientId).connect().catch(() => null);
      await c?.end();
    }
  };
  return s;
};

const ctx = {
  quick: QUICK,
  scale: Number(process.env.BENCH_SCALE ?? 1),
  pg,
  mosq,
  api,
  template: TEMPLATE,
  /** A fresh database cloned from the template. */
  newDb: (name) => pg.cloneTemplate(`lm_bench_${name.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`, TEMPLATE),
  /** Our api on a fresh database (unless `databaseUrl`) with a fresh MQTT session (unless `clientId`). */
  async startOurs(name, opts = {}) {
    const databaseUrl = opts.databaseUrl ?? (await ctx.newDb(name));
    const clientId = opts.clientId ?? `bench-api-${++serial}-${Date.now()}`;
    const s = await startOurApi({ main: api.main, databaseUrl, mqttUrl: mosq.url, clientId, name: `api-${name}`, env: opts.env, port: opts.port });
    return track(Object.assign(s, { databaseUrl }), clientId);
  },
  async startBareWs(env = {}) {
    return track(await startBare({ script: 'ws-broadcast', env: { MQTT_URL: mosq.url, ...env } }));
  },
  async startBareGateway(name, opts = {}) {
    const databaseUrl = opts.databaseUrl ?? (await ctx.newDb(`bare_${name}`));
    const clientId = opts.clientId ?? `bench-bare-${++serial}-${Date.now()}`;
    const s = await startBare({ script: 'gateway', env: { MQTT_URL: mosq.url, DATABASE_URL: databaseUrl, MQTT_CLIENT_ID: clientId, ...opts.env } });
    return track(Object.assign(s, { databaseUrl }), clientId);
  },
};

const summary = { started_at: new Date(started).toISOString(), quick: QUICK, scale: ctx.scale, api_build: api.commit, machine: machine(), results: {} };
let failed = false;
try {
  await makeTemplate();
  for (const name of selected) {
    const t0 = Date.now();
    step(`=== ${name} ===`);
    try {
      const mod = await import(`./${name}.mjs`);
      const res = await mod.run(ctx);
      res.machine = summary.machine;
      res.api_build = api.commit;
      res.quick = QUICK;
      res.scale = ctx.scale;
      res.duration_s = Math.round((Date.now() - t0) / 1000);
      const file = writeResult(name, res, res.markdown);
      summary.results[name] = file;
      step(`${name} done in ${res.duration_s} s -> ${file}`);
      console.log(res.markdown);
    } catch (err) {
      failed = true;
      console.error(`[bench] ${name} failed: ${err.stack ?? err}`);
      for (const s of servers) await s.stop().catch(() => undefined);
    }
  }
} finally {
  await cleanup();
}
if (process.env.BENCH_NO_REPORT !== '1' && !QUICK) {
  const { writeReport } = await import('./report.mjs');
  await writeReport();
}
step(`all done in ${Math.round((Date.now() - started) / 1000)} s`);
process.exit(failed ? 1 : 0);
