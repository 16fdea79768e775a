import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsTimeZone, Max, Min } from 'class-validator';
import { HISTORY_METRICS } from '../history-metrics';

export const MAX_POINTS_LIMIT = 10_000;

export class HistoryQuery {
  @ApiProperty({ enum: HISTORY_METRICS, description: 'diameter, line_speed, melt_pressure, screw_speed, or a barrel zone temperature zone_1 (feed) .. zone_16 (body_temperatures[n-1])' })
  @IsIn(HISTORY_METRICS)
  metric: string;

  @ApiPropertyOptional({ description: 'Start (inclusive), ISO-8601 with offset. Default: `to` minus one hour.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'End (exclusive), ISO-8601 with offset. Default: now.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_POINTS_LIMIT, default: 1000, description: 'At most this many points (buckets)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_POINTS_LIMIT)
  max_points?: number;
}

export class ExportQuery {
  @ApiPropertyOptional({ description: 'Start (inclusive), ISO-8601 with offset. Default: `to` minus one hour.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'End (exclusive), ISO-8601 with offset. Default: now.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ description: 'IANA time zone of the timestamps in the file, e.g. Europe/Berlin', default: 'UTC' })
  @IsOptional()
  @IsTimeZone({ message: 'must be an IANA time zone such as Europe/Berlin' })
  tz?: string;
}
