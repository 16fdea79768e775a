import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ALARM_STATES } from '@lm/protocol';
import { MAX_SHELVE_MINUTES } from '../alarms.service';

export class AlarmIdParams {
  @ApiProperty({ description: 'Alarm id (decimal string)' })
  @Matches(/^[1-9]\d{0,17}$/, { message: 'id must be a positive integer' })
  id: string;
}

export class AlarmListQuery {
  @ApiPropertyOptional({ description: `open, or one of ${ALARM_STATES.join(', ')}; several separated by commas` })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  state?: string;

  @ApiPropertyOptional({ description: 'Line id' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  line?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque: `next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class AcknowledgeBody {
  @ApiPropertyOptional({ description: 'Required when the alarm says comment_required', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}

export const MAX_BULK_ALARMS = 500;

export class AcknowledgeManyBody {
  @ApiProperty({ description: 'Alarm ids (decimal strings)', type: [String], minItems: 1, maxItems: MAX_BULK_ALARMS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BULK_ALARMS)
  @Matches(/^[1-9]\d{0,17}$/, { each: true, message: 'alarm_ids must be positive integers' })
  alarm_ids: string[];

  @ApiPropertyOptional({ description: 'Applies to every alarm; required by those that say comment_required', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}

export class ShelveBody {
  @ApiProperty({ minimum: 1, maximum: MAX_SHELVE_MINUTES })
  @IsInt()
  @Min(1)
  @Max(MAX_SHELVE_MINUTES)
  duration_minutes: number;

  @ApiProperty({ maxLength: 1000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  reason: string;
}

export class AlarmKpisQuery {
  @ApiPropertyOptional({ description: 'Window ending now: 90m, 24h, 7d (at most 90d)', default: '24h' })
  @IsOptional()
  @Matches(/^\d{1,4}[mhd]$/, { message: 'window must look like 90m, 24h or 7d' })
  window?: string;
}
