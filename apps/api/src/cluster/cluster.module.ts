import { Module } from '@nestjs/common';
import { LinesModule } from '../lines/lines.module';
import { RealtimeModule } from '../realtime/realtime.module';
import { ClusterService } from './cluster.service';
import { LINE_OWNERSHIP } from './line-ownership';

/** Several api instances on one broker: stream fan-out between them and alarm ownership per line. */
@Module({
  imports: [LinesModule, RealtimeModule],
  providers: [ClusterService, { provide: LINE_OWNERSHIP, useExisting: ClusterService }],
  exports: [ClusterService, LINE_OWNERSHIP],
})
export class ClusterModule {}
