import { ClusterModule } from '../cluster/cluster.module';
import { Module } from '@nestjs/common';
import { LinesModule } from '../lines/lines.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { ALARM_CLOCK, systemClock } from './alarm-clock';
import { AlarmKpisService } from './alarm-kpis.service';
import { ALARM_PUBLISHER, RealtimeAlarmPublisher } from './alarm-publisher';
import { AlarmRulesController } from './alarm-rules.controller';
import { AlarmsController } from './alarms.controller';
import { AlarmsRealtimeBridge } from './alarms-realtime';
import { AlarmsRepository } from './alarms.repository';
import { AlarmsService } from './alarms.service';

/**
 * Alarms. Depends on realtime (publishing, WS commands), never the other way round; telemetry imports
 * this module and calls AlarmsService.evaluate / onLineStatus.
 */
@Module({
  imports: [LinesModule, RealtimeModule, ClusterModule],
  controllers: [AlarmsController, AlarmRulesController],
  providers: [
    AlarmsRepository,
    AlarmsService,
    AlarmKpisService,
    AlarmsRealtimeBridge,
    { provide: ALARM_PUBLISHER, useClass: RealtimeAlarmPublisher },
    { provide: ALARM_CLOCK, useValue: systemClock },
  ],
  exports: [AlarmsService],
})
export class AlarmsModule {}
