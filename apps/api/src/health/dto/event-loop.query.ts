import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export const MAX_EVENT_LOOP_WINDOW_MS = 60_000;

/** Query of `GET /health/event-loop`. */
export class EventLoopQuery {
  @ApiProperty({ minimum: 100, maximum: MAX_EVENT_LOOP_WINDOW_MS, description: 'Measure the event-loop delay over the next window_ms, then answer' })
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(MAX_EVENT_LOOP_WINDOW_MS)
  window_ms: number;
}
