import type { ConsumerDeserializer, IncomingEvent } from '@nestjs/microservices';

/**
 * Nest's default MQTT deserializer treats a payload with `id`, `pattern` or `data` keys as its own RPC
 * envelope and mangles device JSON (TOOLCHAIN.md). Devices speak bare JSON: every message is an event
 * on its topic, the payload untouched.
 */
export class DevicePayloadDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: Record<string, unknown>): IncomingEvent {
    // Nest's MQTT server passes the topic as `channel` (always a string).
    return { pattern: typeof options?.channel === 'string' ? options.channel : '', data: value };
  }
}
