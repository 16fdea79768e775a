import { Body, Controller, Get, Param, Put, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { AlarmHttpFilter } from './alarm-http.filter';
import { AlarmsService } from './alarms.service';
import { type AlarmRuleView, LineIdParams, PutAlarmRulesBody, fromRuleDto, toRuleView } from './dto/alarm-rule.dto';

@ApiTags('alarms')
@Controller('api/lines/:id/alarm-rules')
@UseFilters(AlarmHttpFilter)
export class AlarmRulesController {
  constructor(private readonly alarms: AlarmsService) {}

  @Get()
  @Roles('operator', { anonymousView: true })
  @ApiOperation({ summary: "A line's alarm rules" })
  async get(@Param() p: LineIdParams): Promise<{ line_id: string; rules: AlarmRuleView[] }> {
    return { line_id: p.id, rules: (await this.alarms.rulesOf(p.id)).map(toRuleView) };
  }

  @Put()
  @Roles('engineer')
  @ApiOperation({ summary: "Replace a line's alarm rules (audited in alarm_events as rules_changed)" })
  async put(@Param() p: LineIdParams, @Body() body: PutAlarmRulesBody, @CurrentPrincipal() who: Principal): Promise<{ line_id: string; rules: AlarmRuleView[] }> {
    const rules = await this.alarms.replaceRules(p.id, who, body.rules.map(fromRuleDto));
    return { line_id: p.id, rules: rules.map(toRuleView) };
  }
}
