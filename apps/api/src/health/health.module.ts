import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { TelemetryModule } from '../telemetry/telemetry.module';
import { HealthController } from './health.controller';

@Module({
  imports: [RealtimeModule, TelemetryModule, ClusterModule],
  controllers: [HealthController],
})
export class HealthModule {}
