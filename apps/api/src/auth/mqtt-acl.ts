import { createHash, timingSafeEqual } from 'node:crypto';
import { LINE_ID_PATTERN, TOPIC_ROOT } from '@lm/protocol';
import type { DeviceCredential } from './auth-config';

/** Who an MQTT client authenticated as on the embedded broker. */
export type MqttIdentity = { kind: 'service' } | { kind: 'device'; username: string; lines: string[] };

export interface BrokerAccess {
  /** The api's own account (generated per start for the embedded broker). */
  service: { username: string; password: string };
  devices: DeviceCredential[];
}

// Hash both sides first: timingSafeEqual needs equal lengths, and the length must not leak either.
function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function authenticateMqtt(access: BrokerAccess, username: string | undefined, password: string | undefined): MqttIdentity | null {
  if (!username || password === undefined) return null;
  if (username === access.service.username) return same(password, access.service.password) ? { kind: 'service' } : null;
  const device = access.devices.find((d) => d.username === username);
  if (!device || !same(password, device.password)) return null;
  return { kind: 'device', username: device.username, lines: device.lines };
}

/** The line id in `plant/lines/{id}/...`, or null when the topic is elsewhere or has no rest. */
function lineOf(topic: string): string | null {
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return null;
  const [id, ...rest] = topic.slice(prefix.length).split('/');
  if (!id || rest.length === 0 || rest.some((s) => s === '')) return null;
  return id;
}

function ownsLine(id: MqttIdentity & { kind: 'device' }, lineId: string): boolean {
  return LINE_ID_PATTERN.test(lineId) && (id.lines.includes('*') || id.lines.includes(lineId));
}

/** Devices publish only under their own line (`*`: any one line, never a wildcard); the api anything. */
export function mayPublish(id: MqttIdentity, topic: string): boolean {
  if (id.kind === 'service') return true;
  if (topic.includes('+') || topic.includes('#')) return false;
  const line = lineOf(topic);
  return line !== null && ownsLine(id, line);
}

/**
 * Devices subscribe only under their own line, with the line id spelt out (no `+`/`#` in its place, no
 * `$share`, no `$SYS`): a device must not read other lines' data.
 */
export function maySubscribe(id: MqttIdentity, filter: string): boolean {
  if (id.kind === 'service') return true;
  const line = lineOf(filter);
  return line !== null && line !== '+' && line !== '#' && ownsLine(id, line);
}

/** A device must not take over the api's session by connecting with its client id (MQTT takeover). */
export function mayUseClientId(id: MqttIdentity, clientId: string, serviceClientIdPrefix: string): boolean {
  return id.kind === 'service' || !clientId.startsWith(serviceClientIdPrefix);
}
