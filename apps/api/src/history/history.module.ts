import { Module } from '@nestjs/common';
import { LinesModule } from '../lines/lines.module';
import { HistoryController } from './history.controller';
import { HistoryRepository } from './history.repository';
import { HistoryService } from './history.service';
import { RollupRepository } from './rollup.repository';
import { RollupService } from './rollup.service';

@Module({
  imports: [LinesModule],
  controllers: [HistoryController],
  providers: [HistoryRepository, HistoryService, RollupRepository, RollupService],
})
export class HistoryModule {}
