import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Roles } from '../auth/auth.decorators';
import { AuditEvent, AuditService, type AuditView } from './audit.service';

export class AuditQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;

  /** Page back: events older than this id. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1)
  before?: number;

  @IsOptional() @IsIn(Object.values(AuditEvent))
  event?: string;

  @IsOptional() @IsString() @MaxLength(64)
  actor?: string;
}

@ApiTags('audit')
@Controller('api/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Security audit log, newest first (admin)' })
  list(@Query() q: AuditQuery): Promise<AuditView[]> {
    return this.audit.list({ limit: q.limit ?? 100, beforeId: q.before, event: q.event, actor: q.actor });
  }
}
