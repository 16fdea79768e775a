import { Body, Controller, Get, HttpCode, Param, Post, Query, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AlarmRecord, BulkAcknowledgeResult } from '@lm/protocol';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { AlarmHttpFilter } from './alarm-http.filter';
import type { AlarmKpis } from './alarm-kpis';
import { AlarmKpisService } from './alarm-kpis.service';
import { type AlarmCommandResult, type AlarmEventView, type AlarmPage, AlarmsService } from './alarms.service';
import { AcknowledgeBody, AcknowledgeManyBody, AlarmIdParams, AlarmKpisQuery, AlarmListQuery, ShelveBody } from './dto/alarm-requests';

@ApiTags('alarms')
@Controller('api/alarms')
@UseFilters(AlarmHttpFilter)
export class AlarmsController {
  constructor(
    private readonly alarms: AlarmsService,
    private readonly kpiService: AlarmKpisService,
  ) {}

  @Get()
  @Roles('operator', { anonymousView: true })
  @ApiOperation({ summary: 'Alarms, newest first, keyset-paginated (`next_cursor`)' })
  list(@Query() q: AlarmListQuery): Promise<AlarmPage> {
    return this.alarms.list(q);
  }

  // Declared before :id so that "kpis" is not taken for an id.
  @Get('kpis')
  @Roles('operator', { anonymousView: true })
  @ApiOperation({ summary: 'Alarm system KPIs over a window ending now (ISA-18.2)' })
  kpis(@Query() q: AlarmKpisQuery): Promise<AlarmKpis> {
    return this.kpiService.kpis(q.window);
  }

  @Get(':id')
  @Roles('operator', { anonymousView: true })
  @ApiOperation({ summary: 'One alarm with its event trail' })
  get(@Param() p: AlarmIdParams): Promise<AlarmRecord & { events: AlarmEventView[] }> {
    return this.alarms.get(p.id);
  }

  @Post('ack')
  @HttpCode(200)
  @Roles('engineer')
  @ApiOperation({ summary: 'Acknowledge many alarms (a flood): each on its own, with a result per alarm' })
  ackMany(@Body() body: AcknowledgeManyBody, @CurrentPrincipal() who: Principal): Promise<BulkAcknowledgeResult> {
    return this.alarms.acknowledgeMany(body.alarm_ids, who, body.comment);
  }

  @Post(':id/ack')
  @HttpCode(200)
  @Roles('engineer')
  @ApiOperation({ summary: 'Acknowledge (idempotent: `changed` false and "already acknowledged" the second time)' })
  ack(@Param() p: AlarmIdParams, @Body() body: AcknowledgeBody, @CurrentPrincipal() who: Principal): Promise<AlarmCommandResult> {
    return this.alarms.acknowledge(p.id, who, body.comment);
  }

  @Post(':id/shelve')
  @HttpCode(200)
  @Roles('engineer')
  @ApiOperation({ summary: 'Shelve with a reason until now + duration_minutes' })
  shelve(@Param() p: AlarmIdParams, @Body() body: ShelveBody, @CurrentPrincipal() who: Principal): Promise<AlarmCommandResult> {
    return this.alarms.shelve(p.id, who, body.duration_minutes, body.reason);
  }

  @Post(':id/unshelve')
  @HttpCode(200)
  @Roles('engineer')
  @ApiOperation({ summary: 'Unshelve: back to its true state (unacknowledged if active)' })
  unshelve(@Param() p: AlarmIdParams, @CurrentPrincipal() who: Principal): Promise<AlarmCommandResult> {
    return this.alarms.unshelve(p.id, who);
  }
}
