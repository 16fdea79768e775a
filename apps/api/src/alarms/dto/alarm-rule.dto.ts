import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsNumber, IsOptional, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ALARM_LIMIT_KINDS, ALARM_SEVERITIES, type AlarmLimitKind, type AlarmMetric, type AlarmSeverity } from '@lm/protocol';
import type { AlarmRule } from '../alarm-engine';

const METRIC = /^(diameter|line_speed|melt_pressure|screw_speed|data|zone_([1-9]|1[0-6]))$/;

/** One rule on the wire (snake_case). */
export class AlarmRuleDto {
  @ApiProperty({ description: 'diameter, line_speed, melt_pressure, screw_speed, zone_1..zone_16, or data (stale-data rule)' })
  @Matches(METRIC, { message: 'metric must be diameter, line_speed, melt_pressure, screw_speed, zone_1..zone_16 or data' })
  @MaxLength(32)
  metric: AlarmMetric;

  @ApiProperty({ enum: ALARM_LIMIT_KINDS })
  @IsIn(ALARM_LIMIT_KINDS)
  limit_kind: AlarmLimitKind;

  @ApiProperty({ description: 'Process units; for stale, seconds of silence' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1e6)
  @Max(1e6)
  limit: number;

  @ApiProperty({ enum: ALARM_SEVERITIES })
  @IsIn(ALARM_SEVERITIES)
  severity: AlarmSeverity;

  @ApiPropertyOptional({ default: 0, description: 'How far back inside the limit the value must come to clear' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1e6)
  deadband?: number;

  @ApiPropertyOptional({ default: 0, maximum: 3600 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(3600)
  on_delay_s?: number;

  @ApiPropertyOptional({ default: 0, maximum: 3600 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(3600)
  off_delay_s?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Acknowledging needs a comment' })
  @IsOptional()
  @IsBoolean()
  comment_required?: boolean;
}

export class PutAlarmRulesBody {
  @ApiProperty({ type: [AlarmRuleDto], description: 'The whole rule set of the line (replaces the old one)' })
  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => AlarmRuleDto)
  rules: AlarmRuleDto[];
}

export class LineIdParams {
  @ApiProperty()
  @MaxLength(64)
  id: string;
}

export interface AlarmRuleView {
  metric: AlarmMetric;
  limit_kind: AlarmLimitKind;
  limit: number;
  severity: AlarmSeverity;
  deadband: number;
  on_delay_s: number;
  off_delay_s: number;
  enabled: boolean;
  comment_required: boolean;
}

export const toRuleView = (r: AlarmRule): AlarmRuleView => ({
  metric: r.metric,
  limit_kind: r.kind,
  limit: r.limit,
  severity: r.severity,
  deadband: r.deadband,
  on_delay_s: r.onDelayS,
  off_delay_s: r.offDelayS,
  enabled: r.enabled,
  comment_required: r.commentRequired,
});

export const fromRuleDto = (d: AlarmRuleDto): Omit<AlarmRule, 'lineId'> => ({
  metric: d.metric,
  kind: d.limit_kind,
  limit: d.limit,
  severity: d.severity,
  deadband: d.deadband ?? 0,
  onDelayS: d.on_delay_s ?? 0,
  offDelayS: d.off_delay_s ?? 0,
  enabled: d.enabled ?? true,
  commentRequired: d.comment_required ?? false,
});
