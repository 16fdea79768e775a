import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, type MqttContext, Payload } from '@nestjs/microservices';
import { topics } from '@lm/protocol';
import { asksForRedelivery, leaveForRedelivery } from '../broker/redelivery';
import { TelemetryService } from './telemetry.service';

/** MQTT transport only: hands each message, decoded and with its raw bytes, to the service. */
@Controller()
export class TelemetryMqttController {
  constructor(private readonly telemetry: TelemetryService) {}

  @EventPattern<string>(topics.allTelemetry)
  telemetryMessage(@Payload() value: unknown, @Ctx() ctx: MqttContext): Promise<void> {
    return redeliverOnRefusal(ctx, this.telemetry.ingestTelemetry(ctx.getTopic(), value, rawPayload(ctx)));
  }

  @EventPattern<string>(topics.allStatus)
  statusMessage(@Payload() value: unknown, @Ctx() ctx: MqttContext): Promise<void> {
    return redeliverOnRefusal(ctx, this.telemetry.ingestStatus(ctx.getTopic(), value, rawPayload(ctx)));
  }
}

/**
 * A message the service refused to take now (shutting down) is marked so the transport leaves it
 * unacknowledged, and handled as done: thrown on, Nest's RPC exception handling would log it as an
 * error and replace the error the transport looks at.
 */
function redeliverOnRefusal(ctx: MqttContext, work: Promise<void>): Promise<void> {
  return work.catch((err: unknown) => {
    if (!asksForRedelivery(err)) throw err;
    leaveForRedelivery(ctx.getPacket() as object);
  });
}

function rawPayload(ctx: MqttContext): Buffer {
  const payload = (ctx.getPacket() as { payload?: Buffer | string }).payload;
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload ?? '');
}
