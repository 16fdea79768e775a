import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { type AuthConfig, parseAuthConfig } from '../auth/auth-config';

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
  realtime: {
    heartbeatIntervalMs: number;
    pingIntervalMs: number;
    replayBufferSize: number;
    /** Off: upgrades to /ws are refused with 403 (clients fall back to SSE); for tests and WS-hostile networks. */
    wsEnabled: boolean;
    maxConnections: number;
    maxConnectionsPerUser: number;
    /** Frames per second per connection (token bucket, burst = 2x). */
    rateLimitPerSec: number;
    /** Past this many bytes buffered for a client, its production_data is coalesced per line. */
    slowConsumerBytes: number;
    /** Past this many bytes (or queued messages), the client is closed with 4408. */
    slowConsumerCloseBytes: number;
    slowConsumerMaxQueued: number;
    /** A client behind (coalescing) for longer than this is closed with 4408. */
    slowConsumerMaxLagMs: number;
    sseKeepAliveMs: number;
  };
  ingest: {
    flushIntervalMs: number;
    maxBatchRows: number;
    /** Telemetry batches being written at once (the next is built and sent while one commits). */
    writeConcurrency: number;
    /** MQTT messages received but not yet committed and acknowledged; at the cap the api stops reading. */
    maxInFlight: number;
    /** The same cap in payload bytes (one backfill message can hold thousands of rows). */
    maxInFlightBytes: number;
    /** Telemetry older than this many days is dropped (whole partitions); 0 keeps everything. */
    retentionDays: number;
    /** Daily partitions created this many days ahead. */
    partitionsAheadDays: number;
  };
  auth: AuthConfig;
  /** How often stale data and expired shelving are checked; 0 turns the timer off (tests call tick()). */
  alarms: { checkIntervalMs: number };
  /** How often closed minutes are rolled up for long trends; 0 turns the timer off (tests call runOnce()). */
  history: { rollupIntervalMs: number };
  /**
   * Several api instances on one broker (docs/adr/0005-scale-out.md). `sharedGroup` null: a single
   * instance (the default). `instanceId` names this instance's broker sessions and its stream state.
   */
  cluster: { instanceId: string; sharedGroup: string | null };
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
  const problems: string[] = [];
  const auth = parseAuthConfig(env, { production: nodeEnv === 'production', embeddedBroker: !env.MQTT_URL, readFile: (p) => readFileSync(p, 'utf8') }, problems);
  const cluster = parseCluster(env, problems);
  if (problems.length > 0) throw new ConfigError(problems.join('; '));
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
      // Each instance of a cluster needs its own persistent session.
      clientId: env.MQTT_CLIENT_ID || (cluster.sharedGroup ? `line-monitor-api-${cluster.instanceId}` : 'line-monitor-api'),
    },
    realtime: {
      heartbeatIntervalMs: int(env, 'WS_HEARTBEAT_INTERVAL_MS', 30_000, 1000, 600_000),
      pingIntervalMs: int(env, 'WS_PING_INTERVAL_MS', 15_000, 100, 600_000),
      replayBufferSize: int(env, 'WS_REPLAY_BUFFER', 10_000, 0, 1_000_000),
      wsEnabled: env.WS_ENABLED !== 'false' && env.WS_ENABLED !== '0',
      maxConnections: int(env, 'WS_MAX_CONNECTIONS', 20_000, 1, 1_000_000),
      maxConnectionsPerUser: int(env, 'WS_MAX_CONNECTIONS_PER_USER', 50, 1, 1_000_000),
      rateLimitPerSec: int(env, 'WS_RATE_LIMIT_PER_SEC', 50, 1, 100_000),
      slowConsumerBytes: int(env, 'WS_SLOW_CONSUMER_BYTES', 1_048_576, 1024, 1_073_741_824),
      slowConsumerCloseBytes: int(env, 'WS_SLOW_CONSUMER_CLOSE_BYTES', 8_388_608, 1024, 1_073_741_824),
      slowConsumerMaxQueued: int(env, 'WS_SLOW_CONSUMER_MAX_QUEUED', 5_000, 10, 10_000_000),
      slowConsumerMaxLagMs: int(env, 'WS_SLOW_CONSUMER_MAX_LAG_MS', 30_000, 100, 3_600_000),
      sseKeepAliveMs: int(env, 'SSE_KEEPALIVE_MS', 15_000, 100, 600_000),
    },
    ingest: {
      flushIntervalMs: int(env, 'INGEST_FLUSH_MS', 0, 0, 10_000),
      maxBatchRows: int(env, 'INGEST_MAX_BATCH', 2000, 1, 100_000),
      writeConcurrency: int(env, 'INGEST_WRITE_CONCURRENCY', 2, 1, 8),
      maxInFlight: int(env, 'INGEST_MAX_IN_FLIGHT', 10_000, 1, 1_000_000),
      maxInFlightBytes: int(env, 'INGEST_MAX_IN_FLIGHT_BYTES', 32 * 1024 * 1024, 1024, 2 ** 31 - 1),
      retentionDays: int(env, 'TELEMETRY_RETENTION_DAYS', 0, 0, 100_000),
      partitionsAheadDays: int(env, 'TELEMETRY_PARTITIONS_AHEAD_DAYS', 3, 1, 365),
    },
    auth,
    alarms: { checkIntervalMs: int(env, 'ALARM_CHECK_INTERVAL_MS', 1000, 0, 600_000) },
    history: { rollupIntervalMs: int(env, 'ROLLUP_INTERVAL_MS', 60_000, 0, 3_600_000) },
    cluster,
  };
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** INSTANCE_ID (default: the host name) and MQTT_SHARED_GROUP (set: this instance is one of several). */
function parseCluster(env: NodeJS.ProcessEnv, problems: string[]): AppConfig['cluster'] {
  const instanceId = env.INSTANCE_ID || hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'api';
  const sharedGroup = env.MQTT_SHARED_GROUP || null;
  if (!NAME.test(instanceId)) problems.push('INSTANCE_ID must be 1-64 letters, digits, _ or -');
  if (sharedGroup !== null) {
    if (!NAME.test(sharedGroup)) problems.push('MQTT_SHARED_GROUP must be 1-64 letters, digits, _ or -');
    // The embedded broker is in-process: there is nothing to share with another instance.
    if (!env.MQTT_URL) problems.push('MQTT_SHARED_GROUP needs an external broker (MQTT_URL)');
  }
  return { instanceId, sharedGroup };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
