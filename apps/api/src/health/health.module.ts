import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { TelemetryModule } from '../telemetry/telemetry.module';
import { HealthController } from './health.controller';

@Module({
  imports: [RealtimeModule, TelemetryModule],
  controllers: [HealthController],
})
export class HealthModule {}
