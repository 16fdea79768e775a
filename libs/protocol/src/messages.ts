/**
 * The WebSocket protocol on `/ws` (DESIGN.md section 4): every frame in both directions is one
 * `{type, timestamp, data}` JSON object; stream messages also carry `seq`.
 */
import { ErrorCode } from './codes';
import type { AlarmRecord } from './alarms';
import type { LineState } from './telemetry';

/** The frame every message travels in. Unknown extra fields are ignored by both sides. */
export interface Envelope<T extends string = string, D = unknown> {
  type: T;
  /** ISO-8601 UTC. For `production_data`, the measurement time. */
  timestamp: string;
  data: D;
  /** Position in the live stream (stream messages only). */
  seq?: number;
}

export const CHANNELS = ['production_data', 'alarm', 'line_status'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Server message types that belong to the resumable live stream (they carry `seq`). */
export const STREAM_TYPES = ['production_data', 'line_status', 'alarm', 'alarm_update', 'notification'] as const;
export type StreamType = (typeof STREAM_TYPES)[number];

/** The subscription channel a stream message travels on (`alarm` and `alarm_update` share `alarm`). */
export function channelOf(type: StreamType): Channel | null {
  switch (type) {
    case 'production_data':
      return 'production_data';
    case 'line_status':
      return 'line_status';
    case 'alarm':
    case 'alarm_update':
      return 'alarm';
    case 'notification':
      // Notifications go to everyone, whatever the subscription.
      return null;
  }
}

// ---------- client -> server ----------

/** Client message types, with what their `data` must hold. */
export interface ClientDataMap {
  heartbeat: { client_id?: string; request_id?: string };
  subscribe: { lines: string[]; channels?: Channel[]; batch_ms?: number; request_id?: string };
  unsubscribe: { lines: string[]; request_id?: string };
  resume: { epoch: string; last_seq: number; request_id?: string };
  request_latest: { lines?: string[]; request_id?: string };
  request_status: { request_id?: string };
  alarm_ack: { alarm_id: string; comment?: string; request_id?: string };
  alarm_shelve: { alarm_id: string; duration_minutes?: number; reason?: string; request_id?: string };
  alarm_unshelve: { alarm_id: string; request_id?: string };
}
export type ClientType = keyof ClientDataMap;
export type ClientMessage = { [K in ClientType]: Envelope<K, ClientDataMap[K]> }[ClientType];

export const CLIENT_TYPES: readonly ClientType[] = [
  'heartbeat',
  'subscribe',
  'unsubscribe',
  'resume',
  'request_latest',
  'request_status',
  'alarm_ack',
  'alarm_shelve',
  'alarm_unshelve',
];

// ---------- server -> client ----------

export interface UserInfo {
  username: string;
  role: 'operator' | 'engineer' | 'admin';
}

export interface ProductionData {
  production_line_id: string;
  body_temperatures: number[] | null;
  diameter: number | null;
  line_speed: number | null;
  melt_pressure: number | null;
  screw_speed: number | null;
}

export interface LineStatusData {
  production_line_id: string;
  state: LineState;
  since: string;
}

export interface ServerDataMap {
  connected: {
    client_id: string;
    protocol_version: number;
    server_time: string;
    heartbeat_interval_ms: number;
    epoch: string;
    seq: number;
    /** Null for anonymous read-only viewers. */
    user: UserInfo | null;
  };
  heartbeat: { server_time: string; client_id: string | null; request_id?: string };
  production_data: ProductionData;
  line_status: LineStatusData;
  alarm: AlarmRecord;
  alarm_update: AlarmRecord;
  notification: { level: 'info' | 'warning' | 'error'; message: string };
  /** Several envelopes in one frame, for clients that subscribed with `batch_ms`; each keeps its own `seq`. */
  batch: { messages: Envelope[] };
  /** Confirmation of a command that has no answer type of its own (alarm_ack, alarm_shelve, alarm_unshelve). */
  result: { command: ClientType; ok: true; result?: Record<string, unknown>; request_id?: string };
  /** Answer to subscribe/unsubscribe: the subscription now in force. */
  subscribed: { lines: string[]; channels: Channel[]; batch_ms: number; request_id?: string };
  /** Answer to resume: the missed messages came before it when `recovered` is true. */
  resumed: { recovered: boolean; epoch: string; seq: number; request_id?: string };
  /** Latest production data per line (measurement time inside each entry). */
  snapshot: {
    lines: Record<string, ProductionData & { timestamp: string }>;
    line_status: Record<string, LineStatusData>;
    active_alarms: AlarmRecord[];
    epoch: string;
    seq: number;
    request_id?: string;
  };
  status: {
    client_id: string;
    connected_at: string;
    messages_sent: number;
    messages_received: number;
    subscription: { lines: string[]; channels: Channel[]; batch_ms: number };
    server: { active_connections: number; epoch: string; seq: number };
    /** `websocket` or `sse`. */
    transport: string;
    user: UserInfo | null;
    request_id?: string;
  };
  error: { message: string; code: ErrorCode; original_message?: string; request_id?: string };
}
export type ServerType = keyof ServerDataMap;

// A Record so the compiler flags a server type added to the map but not listed here.
const SERVER_TYPE_SET: Record<ServerType, true> = {
  connected: true,
  heartbeat: true,
  production_data: true,
  line_status: true,
  alarm: true,
  alarm_update: true,
  notification: true,
  batch: true,
  result: true,
  subscribed: true,
  resumed: true,
  snapshot: true,
  status: true,
  error: true,
};
export const SERVER_TYPES: readonly ServerType[] = Object.keys(SERVER_TYPE_SET) as ServerType[];
export const isServerType = (t: string): t is ServerType => Object.prototype.hasOwnProperty.call(SERVER_TYPE_SET, t);
export type ServerMessage = { [K in ServerType]: Envelope<K, ServerDataMap[K]> }[ServerType];

export function envelope<T extends ServerType>(type: T, data: ServerDataMap[T], timestamp?: string): Envelope<T, ServerDataMap[T]> {
  return { type, timestamp: timestamp ?? new Date().toISOString(), data };
}

// ---------- parsing client frames ----------

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: ErrorCode; message: string; request_id?: string };

/** Largest text frame the server reads; bigger ones are closed with 1009. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;
const MAX_ORIGINAL_ECHO = 200;

type Check = (d: Record<string, unknown>) => string | null;

const optString = (key: string, max = 256): Check => (d) =>
  d[key] === undefined || (typeof d[key] === 'string' && d[key].length <= max)
    ? null
    : `data.${key} must be a string of at most ${max} characters`;
const reqString = (key: string, max = 256): Check => (d) =>
  typeof d[key] === 'string' && d[key].length > 0 && d[key].length <= max
    ? null
    : `data.${key} is required: a non-empty string of at most ${max} characters`;
const optNumber = (key: string, min: number, max: number): Check => (d) =>
  d[key] === undefined || (typeof d[key] === 'number' && d[key] >= min && d[key] <= max)
    ? null
    : `data.${key} must be a number from ${min} to ${max}`;
const stringList = (key: string, required: boolean): Check => (d) => {
  const v = d[key];
  if (v === undefined && !required) return null;
  return Array.isArray(v) && v.length <= 1000 && v.every((x) => typeof x === 'string' && x.length <= 64)
    ? null
    : `data.${key} must be a list of line ids (strings)`;
};
const channelList: Check = (d) => {
  const v = d.channels;
  if (v === undefined) return null;
  return Array.isArray(v) && v.every((x) => (CHANNELS as readonly unknown[]).includes(x))
    ? null
    : `data.channels must be a list of ${CHANNELS.join(', ')}`;
};

const CHECKS: Record<ClientType, Check[]> = {
  heartbeat: [optString('client_id', 128)],
  subscribe: [stringList('lines', true), channelList, optNumber('batch_ms', 0, 10_000)],
  unsubscribe: [stringList('lines', true)],
  resume: [
    reqString('epoch', 64),
    (d) => (Number.isSafeInteger(d.last_seq) && (d.last_seq as number) >= 0 ? null : 'data.last_seq is required: an integer >= 0'),
  ],
  request_latest: [stringList('lines', false)],
  request_status: [],
  alarm_ack: [reqString('alarm_id', 64), optString('comment', 1000)],
  alarm_shelve: [reqString('alarm_id', 64), optNumber('duration_minutes', 1, 7 * 24 * 60), optString('reason', 1000)],
  alarm_unshelve: [reqString('alarm_id', 64)],
};

const isClientType = (t: unknown): t is ClientType =>
  typeof t === 'string' && Object.prototype.hasOwnProperty.call(CHECKS, t);

/** Parses and validates one text frame from a client. Never throws. */
export function parseClientFrame(raw: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, code: ErrorCode.INVALID_JSON, message: 'Frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: 'Frame must be a JSON object {type, timestamp, data}' };
  }
  const obj = value as Record<string, unknown>;
  const data = obj.data === undefined ? {} : obj.data;
  const requestId =
    typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>).request_id === 'string'
      ? ((data as Record<string, unknown>).request_id as string).slice(0, 128)
      : undefined;
  if (typeof obj.type !== 'string') {
    return { ok: false, code: ErrorCode.INVALID_ENVELOPE, message: 'Field "type" is required and must be a string', request_id: requestId };
  }
  if (!isClientType(obj.type)) {
    return { ok: false, code: ErrorCode.UNKNOWN_TYPE, message: `Unknown message type "${obj.type.slice(0, 64)}"`, request_id: requestId };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: ErrorCode.INVALID_DATA, message: 'Field "data" must be an object', request_id: requestId };
  }
  const d = data as Record<string, unknown>;
  if (d.request_id !== undefined && typeof d.request_id !== 'string') {
    return { ok: false, code: ErrorCode.INVALID_DATA, message: 'data.request_id must be a string' };
  }
  for (const check of CHECKS[obj.type]) {
    const problem = check(d);
    if (problem) return { ok: false, code: ErrorCode.INVALID_DATA, message: problem, request_id: requestId };
  }
  const timestamp = typeof obj.timestamp === 'string' ? obj.timestamp : new Date().toISOString();
  return { ok: true, message: { type: obj.type, timestamp, data: d } as ClientMessage };
}

/** The start of an offending frame, for `error.original_message`. */
export const echoOriginal = (raw: string): string =>
  raw.length > MAX_ORIGINAL_ECHO ? `${raw.slice(0, MAX_ORIGINAL_ECHO)}…` : raw;

// ---------- parsing server frames (clients) ----------

/** Parses a server frame on the client side; null when it is not an envelope. */
export function parseServerFrame(raw: string): (Envelope & { seq?: number }) | null {
  try {
    const v = JSON.parse(raw) as unknown;
    if (typeof v !== 'object' || v === null) return null;
    const e = v as Record<string, unknown>;
    if (typeof e.type !== 'string' || typeof e.data !== 'object' || e.data === null) return null;
    return v as Envelope;
  } catch {
    return null;
  }
}

// ---------- field lists (runtime mirror of the types, for docs/asyncapi.yaml's drift test) ----------

/** Every field of T, required or not: the compiler rejects a list that misses or invents one. */
type FieldSet<T> = { [F in keyof Required<T>]: true };

const PRODUCTION_FIELDS: FieldSet<ProductionData> = {
  production_line_id: true,
  body_temperatures: true,
  diameter: true,
  line_speed: true,
  melt_pressure: true,
  screw_speed: true,
};
const ALARM_FIELDS: FieldSet<AlarmRecord> = {
  id: true,
  production_line_id: true,
  metric: true,
  limit_kind: true,
  message: true,
  severity: true,
  state: true,
  active: true,
  value: true,
  limit: true,
  raised_at: true,
  acknowledged_by: true,
  acknowledged_at: true,
  comment: true,
  shelved_until: true,
  shelved_by: true,
  shelve_reason: true,
  cleared_at: true,
  comment_required: true,
};

/** The `data` fields of every client message type. */
export const CLIENT_FIELDS: { [K in ClientType]: FieldSet<ClientDataMap[K]> } = {
  heartbeat: { client_id: true, request_id: true },
  subscribe: { lines: true, channels: true, batch_ms: true, request_id: true },
  unsubscribe: { lines: true, request_id: true },
  resume: { epoch: true, last_seq: true, request_id: true },
  request_latest: { lines: true, request_id: true },
  request_status: { request_id: true },
  alarm_ack: { alarm_id: true, comment: true, request_id: true },
  alarm_shelve: { alarm_id: true, duration_minutes: true, reason: true, request_id: true },
  alarm_unshelve: { alarm_id: true, request_id: true },
};

/** The `data` fields of every server message type. */
export const SERVER_FIELDS: { [K in ServerType]: FieldSet<ServerDataMap[K]> } = {
  connected: { client_id: true, protocol_version: true, server_time: true, heartbeat_interval_ms: true, epoch: true, seq: true, user: true },
  heartbeat: { server_time: true, client_id: true, request_id: true },
  production_data: PRODUCTION_FIELDS,
  line_status: { production_line_id: true, state: true, since: true },
  alarm: ALARM_FIELDS,
  alarm_update: ALARM_FIELDS,
  notification: { level: true, message: true },
  batch: { messages: true },
  result: { command: true, ok: true, result: true, request_id: true },
  subscribed: { lines: true, channels: true, batch_ms: true, request_id: true },
  resumed: { recovered: true, epoch: true, seq: true, request_id: true },
  snapshot: { lines: true, line_status: true, active_alarms: true, epoch: true, seq: true, request_id: true },
  status: {
    client_id: true,
    connected_at: true,
    messages_sent: true,
    messages_received: true,
    subscription: true,
    server: true,
    transport: true,
    user: true,
    request_id: true,
  },
  error: { message: true, code: true, original_message: true, request_id: true },
};
