/** MQTT topic layout (DESIGN.md section 5). Every publisher and subscriber builds topics here. */
export const TOPIC_ROOT = 'plant/lines';

export const topics = {
  telemetry: (lineId: string) => `${TOPIC_ROOT}/${lineId}/telemetry`,
  status: (lineId: string) => `${TOPIC_ROOT}/${lineId}/status`,
  /** Subscription filters for the server. */
  allTelemetry: `${TOPIC_ROOT}/+/telemetry`,
  allStatus: `${TOPIC_ROOT}/+/status`,
  /** Shared subscription so several api instances split ingest between them. */
  shared: (group: string, filter: string) => `$share/${group}/${filter}`,
} as const;

/** Line ids: short, topic-safe identifiers ("1", "L-07", "extruder_3"). */
export const LINE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type ParsedTopic = { lineId: string; kind: 'telemetry' | 'status' };

/** Parses `plant/lines/{id}/telemetry|status`; null for anything else. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [, , lineId, kind] = parts;
  if (!LINE_ID_PATTERN.test(lineId)) return null;
  if (kind !== 'telemetry' && kind !== 'status') return null;
  return { lineId, kind };
}
