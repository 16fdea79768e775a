import { Module } from '@nestjs/common';
import { LinesController } from './lines.controller';
import { LinesRepository } from './lines.repository';
import { LinesService } from './lines.service';

@Module({
  controllers: [LinesController],
  providers: [LinesRepository, LinesService],
  exports: [LinesService],
})
export class LinesModule {}
