import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, type MqttContext, Payload } from '@nestjs/microservices';
import { topics } from '@lm/protocol';
import { TelemetryService } from './telemetry.service';

/** MQTT transport only: hands each message, decoded and with its raw bytes, to the service. */
@Controller()
export class TelemetryMqttController {
  constructor(private readonly telemetry: TelemetryService) {}

  @EventPattern<string>(topics.allTelemetry)
  telemetryMessage(@Payload() value: unknown, @Ctx() ctx: MqttContext): Promise<void> {
    return this.telemetry.ingestTelemetry(ctx.getTopic(), value, rawPayload(ctx));
  }

  @EventPattern<string>(topics.allStatus)
  statusMessage(@Payload() value: unknown, @Ctx() ctx: MqttContext): Promise<void> {
    return this.telemetry.ingestStatus(ctx.getTopic(), value, rawPayload(ctx));
  }
}

function rawPayload(ctx: MqttContext): Buffer {
  const payload = (ctx.getPacket() as { payload?: Buffer | string }).payload;
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload ?? '');
}
