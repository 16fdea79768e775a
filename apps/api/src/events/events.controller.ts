import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { EventsQuery } from './dto/events.query';
import { EventsService } from './events.service';

@ApiTags('realtime')
@Controller('api')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  // @Public for the global HTTP guard only: the stream authenticates itself through WS_AUTHENTICATOR,
  // exactly like a WebSocket upgrade (token in Authorization or ?token=, Origin allow-list).
  @Public()
  @Get('events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: 'Server-Sent Events: the WebSocket stream\'s envelopes, `id:` = seq, resumable with Last-Event-ID',
  })
  stream(@Req() req: IncomingMessage, @Res() res: ServerResponse, @Query() query: EventsQuery): Promise<void> {
    return this.events.open(req, res, query);
  }
}
