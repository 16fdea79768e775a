/** Simulator options from environment variables and command-line flags (flags win). */
import { FAULT_KINDS, isFaultKind, type FaultKind } from './line-model';

export interface FaultSpec {
  lineId: string;
  kind: FaultKind;
}

export interface SimOptions {
  lineIds: string[];
  rateHz: number;
  mqttUrl: string;
  username?: string;
  password?: string;
  qos: 0 | 1 | 2;
  faults: FaultSpec[];
  /** Stop after this many seconds; run until signalled when absent. */
  durationS?: number;
  seed: number;
}

export class OptionsError extends Error {}

export const MAX_LINES = 10_000;
// Timestamps are whole milliseconds and (line, time) is the storage key: more than 1 kHz per line would collide.
export const MAX_RATE_HZ = 1000;

export const USAGE = `Line Monitor device simulator: publishes telemetry of extrusion lines over MQTT.

Usage: node dist/apps/simulator/apps/simulator/src/main.js [options]

Options (flags win over the environment variable in brackets):
  --lines N                 simulate lines "1".."N", N <= ${MAX_LINES}     [SIM_LINES; 8]
  --rate HZ                 readings per second per line, <= ${MAX_RATE_HZ}  [SIM_RATE_HZ; 10]
  --url URL                 broker, mqtt:// mqtts:// ws:// wss://  [MQTT_URL; mqtt://localhost:1883,
                            or mqtt://localhost:$MQTT_PORT when MQTT_PORT is set]
  --qos 0|1|2               QoS of telemetry                       [SIM_QOS; 1]
  --fault LINE:KIND[,...]   inject faults (repeatable)             [SIM_FAULTS]
       heater     one zone heats up and sticks ~45 °C above its set point
       pressure   melt pressure climbs to ~1.8x nominal and stays
       diameter   diameter drifts up out of tolerance (to +8 %)
       stop       line stopped: speeds 0, status "stopped"
       silent     no telemetry at all (stale data)
       garbage    an invalid payload every ~5 s
  --duration SECONDS        stop after SECONDS                     [SIM_DURATION; run until signalled]
  --seed N                  random seed 0..4294967295, repeatable  [SIM_SEED; random, logged]
  -h, --help                print this help

Credentials: MQTT_USERNAME, MQTT_PASSWORD (default device / device-demo unless NODE_ENV=production).
Example: node .../main.js --lines 3 --rate 5 --fault 2:heater,3:garbage
`;

type Env = Record<string, string | undefined>;

const FLAGS = ['lines', 'rate', 'url', 'qos', 'fault', 'duration', 'seed'] as const;
type Flag = (typeof FLAGS)[number];

export const wantsHelp = (argv: readonly string[]): boolean => argv.includes('-h') || argv.includes('--help');

/** Splits argv into flag values; `--flag value` and `--flag=value` both work, `--fault` may repeat. */
export function parseArgv(argv: readonly string[]): Map<Flag, string[]> {
  const flags = new Map<Flag, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(FLAGS as readonly string[]).includes(m[1])) throw new OptionsError(`Unknown argument "${arg}"`);
    const name = m[1] as Flag;
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new OptionsError(`--${name} needs a value`);
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return flags;
}

function integer(raw: string, what: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new OptionsError(`${what} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function positive(raw: string, what: string, max: number): number {
  const n = /^\s*\d*\.?\d+(e[+-]?\d+)?\s*$/i.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new OptionsError(`${what} must be a number above 0 and at most ${max}, got "${raw}"`);
  return n;
}

/** Parses `1:heater,3:stop`; line ids must be simulated ones. */
export function parseFaults(raw: string, lineIds: readonly string[]): FaultSpec[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item) => {
      const [lineId, kind, extra] = item.split(':').map((s) => s.trim());
      if (kind === undefined || extra !== undefined) throw new OptionsError(`Fault "${item}" must look like LINE:KIND, e.g. 3:heater`);
      if (!isFaultKind(kind)) throw new OptionsError(`Unknown fault kind "${kind}" in "${item}" (one of: ${FAULT_KINDS.join(', ')})`);
      if (!lineIds.includes(lineId)) throw new OptionsError(`Fault "${item}" names line "${lineId}", which is not simulated (lines 1..${lineIds.length})`);
      return { lineId, kind };
    });
}

function brokerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OptionsError(`Broker URL "${raw}" is not a valid URL (e.g. mqtt://localhost:1883)`);
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new OptionsError(`Broker URL "${raw}" must use mqtt://, mqtts://, ws:// or wss://`);
  }
  return raw;
}

/** Builds the options; throws OptionsError with a message fit for the user. */
export function parseOptions(argv: readonly string[], env: Env, randomSeed: () => number = () => (Math.random() * 2 ** 32) >>> 0): SimOptions {
  const flags = parseArgv(argv);
  // Empty environment variables count as unset (docker-compose and .env files produce them).
  const envOf = (name: string): string | undefined => (env[name]?.trim() ? env[name] : undefined);
  const last = (flag: Flag, envName: string): { raw: string; what: string } | undefined => {
    const fromFlag = flags.get(flag)?.at(-1);
    if (fromFlag !== undefined) return { raw: fromFlag, what: `--${flag}` };
    const fromEnv = envOf(envName);
    return fromEnv === undefined ? undefined : { raw: fromEnv, what: envName };
  };

  const lines = last('lines', 'SIM_LINES');
  const count = lines ? integer(lines.raw, lines.what, 1, MAX_LINES) : 8;
  const lineIds = Array.from({ length: count }, (_, i) => String(i + 1));

  const rate = last('rate', 'SIM_RATE_HZ');
  const qos = last('qos', 'SIM_QOS');
  const duration = last('duration', 'SIM_DURATION');
  const seed = last('seed', 'SIM_SEED');

  const url = last('url', 'MQTT_URL');
  const port = envOf('MQTT_PORT');
  const mqttUrl = brokerUrl(url ? url.raw.trim() : `mqtt://localhost:${port ? integer(port, 'MQTT_PORT', 1, 65535) : 1883}`);

  // Demo credentials of the embedded broker (DESIGN.md section 8), never in production.
  const demo = env.NODE_ENV !== 'production';
  const username = envOf('MQTT_USERNAME') ?? (demo ? 'device' : undefined);
  const password = envOf('MQTT_PASSWORD') ?? (demo && username === 'device' ? 'device-demo' : undefined);

  const faultSources = flags.get('fault') ?? (envOf('SIM_FAULTS') ? [env.SIM_FAULTS as string] : []);
  return {
    lineIds,
    rateHz: rate ? positive(rate.raw, rate.what, MAX_RATE_HZ) : 10,
    mqttUrl,
    username,
    password,
    qos: qos ? (integer(qos.raw, qos.what, 0, 2) as 0 | 1 | 2) : 1,
    faults: faultSources.flatMap((raw) => parseFaults(raw, lineIds)),
    durationS: duration ? positive(duration.raw, duration.what, 365 * 24 * 3600) : undefined,
    seed: seed ? integer(seed.raw, seed.what, 0, 2 ** 32 - 1) : randomSeed(),
  };
}
