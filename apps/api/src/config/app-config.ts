import { isAbsolute, resolve } from 'node:path';

/** The whole configuration, parsed once from the environment at start (fail fast on bad values). */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  demo: boolean;
  http: { port: number; host: string };
  dataDir: string;
  database: { url: string | null; embeddedPort: number };
  mqtt: {
    url: string | null;
    embeddedPort: number;
    username: string | undefined;
    password: string | undefined;
    clientId: string;
  };
  realtime: { heartbeatIntervalMs: number; pingIntervalMs: number; replayBufferSize: number };
  ingest: { flushIntervalMs: number; maxBatchRows: number };
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, key: string, fallback: number, min = 0, max = 65535): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return n;
}

function url(env: NodeJS.ProcessEnv, key: string, protocols: string[]): string | null {
  const raw = env[key];
  if (!raw) return null;
  try {
    const u = new URL(raw);
    if (!protocols.includes(u.protocol)) throw new Error();
  } catch {
    throw new ConfigError(`${key} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

/** Parses the environment. Throws ConfigError with every problem spelled out. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const dataDir = env.DATA_DIR ? (isAbsolute(env.DATA_DIR) ? env.DATA_DIR : resolve(env.DATA_DIR)) : resolve('data');
  return {
    env: nodeEnv,
    demo: nodeEnv !== 'production',
    http: { port: int(env, 'PORT', 8080), host: env.HOST || '0.0.0.0' },
    dataDir,
    database: {
      url: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
      embeddedPort: int(env, 'EMBEDDED_PG_PORT', 5433, 1),
    },
    mqtt: {
      url: url(env, 'MQTT_URL', ['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']),
      embeddedPort: int(env, 'MQTT_PORT', 1883),
      username: env.MQTT_USERNAME || undefined,
      password: env.MQTT_PASSWORD || undefined,
      clientId: env.MQTT_CLIENT_ID || 'line-monitor-api',
    },
    realtime: {
      heartbeatIntervalMs: int(env, 'WS_HEARTBEAT_INTERVAL_MS', 30_000, 1000, 600_000),
      pingIntervalMs: int(env, 'WS_PING_INTERVAL_MS', 15_000, 100, 600_000),
      replayBufferSize: int(env, 'WS_REPLAY_BUFFER', 10_000, 0, 1_000_000),
    },
    ingest: {
      flushIntervalMs: int(env, 'INGEST_FLUSH_MS', 20, 1, 10_000),
      maxBatchRows: int(env, 'INGEST_MAX_BATCH', 2000, 1, 100_000),
    },
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
