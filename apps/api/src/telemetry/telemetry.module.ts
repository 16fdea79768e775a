import { Module } from '@nestjs/common';
import { LinesModule } from '../lines/lines.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { DeadLettersRepository } from './dead-letters.repository';
import { TelemetryMqttController } from './telemetry-mqtt.controller';
import { TelemetryRepository } from './telemetry.repository';
import { TelemetryService } from './telemetry.service';

@Module({
  imports: [LinesModule, RealtimeModule],
  controllers: [TelemetryMqttController],
  providers: [TelemetryRepository, DeadLettersRepository, TelemetryService],
  exports: [TelemetryService],
})
export class TelemetryModule {}
