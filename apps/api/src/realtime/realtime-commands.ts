import { Injectable } from '@nestjs/common';
import type { AlarmRecord, ClientDataMap, ErrorCode } from '@lm/protocol';
import type { Principal } from '../auth/principal';

/** The commands another feature serves over the WebSocket (the alarm commands, served by alarms). */
export type PluggableCommand = 'alarm_ack' | 'alarm_shelve' | 'alarm_unshelve';

export interface CommandContext {
  principal: Principal;
  clientId: string;
}

/**
 * Serves one command. Resolves with what goes into the `result` confirmation; rejects with a
 * RealtimeCommandError for an `error` frame with that code (anything else becomes `internal_error`).
 */
export type RealtimeCommandHandler<K extends PluggableCommand> = (data: ClientDataMap[K], ctx: CommandContext) => Promise<Record<string, unknown>>;

export class RealtimeCommandError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Where features plug WebSocket commands and snapshot parts in without touching the gateway:
 * the alarms module imports RealtimeModule and, in its onModuleInit, calls
 * `register('alarm_ack', (data, ctx) => ...)` and `provideActiveAlarms(() => ...)`.
 * Until then the alarm commands are answered `unavailable` and snapshots carry no alarms.
 */
@Injectable()
export class RealtimeCommands {
  private readonly handlers = new Map<PluggableCommand, RealtimeCommandHandler<PluggableCommand>>();
  private activeAlarms: () => Promise<AlarmRecord[]> = () => Promise.resolve([]);

  register<K extends PluggableCommand>(type: K, handler: RealtimeCommandHandler<K>): void {
    this.handlers.set(type, handler as unknown as RealtimeCommandHandler<PluggableCommand>);
  }

  handler<K extends PluggableCommand>(type: K): RealtimeCommandHandler<K> | undefined {
    return this.handlers.get(type);
  }

  /** What `snapshot.active_alarms` holds. */
  provideActiveAlarms(source: () => Promise<AlarmRecord[]>): void {
    this.activeAlarms = source;
  }

  listActiveAlarms(): Promise<AlarmRecord[]> {
    return this.activeAlarms();
  }
}
