import { Inject, Injectable } from '@nestjs/common';
import { ALARM_CLOCK, type AlarmClock } from './alarm-clock';
import { AlarmError, AlarmErrorCode } from './alarm-errors';
import { type AlarmKpis, computeKpis, parseWindow } from './alarm-kpis';
import { AlarmsRepository } from './alarms.repository';

/** Alarm system performance over a window ending now (computeKpis does the arithmetic). */
@Injectable()
export class AlarmKpisService {
  constructor(
    private readonly repo: AlarmsRepository,
    @Inject(ALARM_CLOCK) private readonly clock: AlarmClock,
  ) {}

  async kpis(window = '24h'): Promise<AlarmKpis> {
    const ms = parseWindow(window);
    if (ms === null) throw new AlarmError(AlarmErrorCode.VALIDATION, 'window must look like 90m, 24h or 7d (at most 90d)', ['query', 'window']);
    const to = this.clock.now();
    const from = to - ms;
    const [activations, open] = await Promise.all([this.repo.activations(new Date(from), new Date(to)), this.repo.openForKpis()]);
    return computeKpis(from, to, activations, open);
  }
}
