import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ErrorCode } from '@lm/protocol';
import { RealtimeCommandError, RealtimeCommands } from '../realtime/realtime-commands';
import { AlarmError, AlarmErrorCode } from './alarm-errors';
import { type AlarmCommandResult, AlarmsService } from './alarms.service';

/** Domain errors to WebSocket `error` codes, in one place. */
function toWsError(err: unknown): unknown {
  if (!(err instanceof AlarmError)) return err;
  switch (err.code) {
    case AlarmErrorCode.FORBIDDEN:
      return new RealtimeCommandError(ErrorCode.FORBIDDEN, err.message);
    case AlarmErrorCode.NOT_FOUND:
      return new RealtimeCommandError(ErrorCode.NOT_FOUND, err.message);
    case AlarmErrorCode.CONFLICT:
    case AlarmErrorCode.VALIDATION:
      return new RealtimeCommandError(ErrorCode.INVALID_DATA, err.message);
  }
}

const wire = async (p: Promise<AlarmCommandResult>): Promise<Record<string, unknown>> => {
  try {
    const r = await p;
    return { alarm: r.alarm, changed: r.changed, message: r.message };
  } catch (err) {
    throw toWsError(err);
  }
};

/** Plugs the alarm commands and the snapshot's active alarms into the realtime hub (transport only). */
@Injectable()
export class AlarmsRealtimeBridge implements OnModuleInit {
  constructor(
    private readonly commands: RealtimeCommands,
    private readonly alarms: AlarmsService,
  ) {}

  onModuleInit(): void {
    this.commands.register('alarm_ack', (d, ctx) => wire(this.alarms.acknowledge(d.alarm_id, ctx.principal, d.comment)));
    this.commands.register('alarm_shelve', (d, ctx) => wire(this.alarms.shelve(d.alarm_id, ctx.principal, d.duration_minutes, d.reason)));
    this.commands.register('alarm_unshelve', (d, ctx) => wire(this.alarms.unshelve(d.alarm_id, ctx.principal)));
    this.commands.provideActiveAlarms(() => this.alarms.activeAlarms());
  }
}
