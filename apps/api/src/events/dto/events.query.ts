import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Query of `GET /api/events` (EventSource cannot send headers or a body). */
export class EventsQuery {
  @ApiPropertyOptional({ description: 'Comma-separated line ids, or `*` (default: every line)', example: '1,2' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  lines?: string;

  @ApiPropertyOptional({ description: 'Comma-separated channels: production_data, alarm, line_status (default: all)' })
  @IsOptional()
  @Matches(/^(production_data|alarm|line_status)(,(production_data|alarm|line_status))*$/, {
    message: 'channels must be a comma-separated list of production_data, alarm, line_status',
  })
  channels?: string;

  @ApiPropertyOptional({ description: 'Resume after this seq (as the Last-Event-ID header)' })
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'last_event_id must be a seq (an integer)' })
  last_event_id?: string;

  @ApiPropertyOptional({ description: 'Epoch of `last_event_id`; when it is not the server\'s, `resumed` says recovered: false' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  epoch?: string;

  @ApiPropertyOptional({ description: 'Access token (browsers cannot set Authorization on EventSource)' })
  @IsOptional()
  @IsString()
  token?: string;
}
