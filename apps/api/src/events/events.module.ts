import { Module } from '@nestjs/common';
import { RealtimeModule } from '../realtime/realtime.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({
  imports: [RealtimeModule],
  controllers: [EventsController],
  providers: [EventsService],
})
export class EventsModule {}
