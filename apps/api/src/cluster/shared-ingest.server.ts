import type { MqttOptions } from '@nestjs/microservices';
import { AckAfterCommitMqttServer } from '../broker/ack-after-commit-mqtt.server';

type NestMqttClient = Parameters<AckAfterCommitMqttServer['bindEvents']>[0];

/**
 * The ingest transport of one instance among several: the given patterns (telemetry) are subscribed
 * as `$share/{group}/...`, so the broker hands each message to one instance of the group; the others
 * (line status, retained) stay ordinary subscriptions that every instance gets.
 * Nest matches `$share/...` handler keys against the plain topics of incoming messages itself.
 */
export class SharedIngestMqttServer extends AckAfterCommitMqttServer {
  constructor(
    options: Required<MqttOptions>['options'],
    maxInFlight: number,
    maxInFlightBytes: number,
    private readonly group: string,
    private readonly sharedPatterns: readonly string[],
  ) {
    super(options, maxInFlight, maxInFlightBytes);
  }

  override bindEvents(client: NestMqttClient): void {
    for (const pattern of this.sharedPatterns) {
      const handler = this.messageHandlers.get(pattern);
      if (!handler) continue;
      this.messageHandlers.delete(pattern);
      this.messageHandlers.set(`$share/${this.group}/${pattern}`, handler);
    }
    super.bindEvents(client);
  }
}
