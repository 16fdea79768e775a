import { ClusterModule } from '../cluster/cluster.module';
import { Module } from '@nestjs/common';
import { AlarmsModule } from '../alarms/alarms.module';
import { LinesModule } from '../lines/lines.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { DeadLettersRepository } from './dead-letters.repository';
import { TelemetryMqttController } from './telemetry-mqtt.controller';
import { TelemetryPartitionsRepository } from './telemetry-partitions.repository';
import { TelemetryPartitionsService } from './telemetry-partitions.service';
import { TelemetryRepository } from './telemetry.repository';
import { TelemetryService } from './telemetry.service';

@Module({
  imports: [LinesModule, RealtimeModule, AlarmsModule, ClusterModule],
  controllers: [TelemetryMqttController],
  providers: [TelemetryRepository, DeadLettersRepository, TelemetryService, TelemetryPartitionsRepository, TelemetryPartitionsService],
  exports: [TelemetryService],
})
export class TelemetryModule {}
