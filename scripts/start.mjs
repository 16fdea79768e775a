#!/usr/bin/env node
// `npm start`: the whole system on one machine. Builds what is out of date, then runs the api (which
// starts the embedded PostgreSQL and MQTT broker unless DATABASE_URL / MQTT_URL say otherwise), the
// simulator and the dashboard. Ctrl-C stops them in order: simulator, dashboard, api (which stops the
// database last), so no stray postgres is left behind.
import { spawn } from 'node:child_process';
import { build, ROOT, TARGETS } from './lib/build.mjs';

const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };
const apiPort = Number(env.PORT || 8080);
const dashboardPort = Number(env.DASHBOARD_PORT || 3000);
const simulatorOn = (env.SIMULATOR || 'on') !== 'off';

const COLORS = { api: 36, simulator: 35, dashboard: 33, start: 32 };
const useColor = process.stdout.isTTY && !env.NO_COLOR;
const tag = (name) => (useColor ? `\x1b[${COLORS[name]}m[${name}]\x1b[0m` : `[${name}]`);
const say = (msg) => process.stdout.write(`${tag('start')} ${msg}\n`);

for (const name of Object.keys(TARGETS)) {
  if (name === 'simulator' && !simulatorOn) continue;
  build(name);
}

const children = new Map();
let stopping = false;

function run(name, args, extraEnv = {}) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: Ctrl-C reaches only this launcher, which stops the children in order.
    detached: true,
  });
  const prefix = (stream, out) => {
    let rest = '';
    stream.on('data', (buf) => {
      const lines = (rest + buf.toString()).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) out.write(`${tag(name)} ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.exited.then(({ code, signal }) => {
    children.delete(name);
    if (!stopping) {
      say(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
      void shutdown(1);
    }
  });
  children.set(name, child);
  return child;
}

async function waitForHealth(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function stopChild(name, timeoutMs = 20_000) {
  const child = children.get(name);
  if (!child) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    say(`${name} did not stop in ${timeoutMs / 1000} s; killing it`);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  await child.exited;
  clearTimeout(timer);
}

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say('stopping...');
  await stopChild('simulator', 5000);
  await stopChild('dashboard', 5000);
  await stopChild('api', 25_000);
  say('stopped');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

say('starting the api (embedded PostgreSQL and MQTT broker unless DATABASE_URL / MQTT_URL are set)...');
// Browsers may open the api's WebSocket (and call it cross-origin) only from the dashboard's origin.
run('api', [TARGETS.api.output], {
  ALLOWED_ORIGINS: env.ALLOWED_ORIGINS ?? `http://localhost:${dashboardPort},http://127.0.0.1:${dashboardPort}`,
});
if (!(await waitForHealth(`http://127.0.0.1:${apiPort}/health`, 120_000))) {
  if (!stopping) {
    say(`the api did not become healthy on port ${apiPort} within 2 minutes`);
    await shutdown(1);
  }
}

run('dashboard', ['node_modules/next/dist/bin/next', 'start', 'apps/dashboard', '-p', String(dashboardPort)], {
  PORT: String(dashboardPort),
  PUBLIC_API_URL: env.PUBLIC_API_URL ?? (apiPort === 8080 ? '' : `http://localhost:${apiPort}`),
});
if (simulatorOn) {
  const mqttUrl = env.MQTT_URL || `mqtt://127.0.0.1:${env.MQTT_PORT || 1883}`;
  run('simulator', [TARGETS.simulator.output], { MQTT_URL: mqttUrl });
}
await waitForHealth(`http://127.0.0.1:${dashboardPort}/`, 60_000);
if (!stopping) {
  const lines = [
    '',
    'Line Monitor is running:',
    `  Dashboard        http://localhost:${dashboardPort}`,
    `  API              http://localhost:${apiPort}   (OpenAPI: /docs, /openapi.json; health: /health)`,
    `  WebSocket        ws://localhost:${apiPort}/ws`,
    `  MQTT             ${env.MQTT_URL || `mqtt://localhost:${env.MQTT_PORT || 1883}`}   (telemetry: plant/lines/{id}/telemetry)`,
    `  Simulator        ${simulatorOn ? `${env.SIM_LINES || 8} lines at ${env.SIM_RATE_HZ || 10} Hz` : 'off'}`,
    ...(env.NODE_ENV === 'production'
      ? []
      : [
          '',
          'Demo logins (http://localhost:' + dashboardPort + '/login; viewing works without one):',
          '  operator / operator-demo    engineer / engineer-demo    admin / admin-demo',
          '  MQTT devices: device / device-demo',
        ]),
    '',
    'Press Ctrl-C to stop everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
