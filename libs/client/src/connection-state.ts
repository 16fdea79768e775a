/**
 * Where the realtime connection is. `recovering` (replaying missed messages after a `resume`) and
 * `fallback` (Server-Sent Events instead of the WebSocket) are reserved for later; nothing sets them yet.
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'recovering' | 'fallback';

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Why: "connected", "socket closed (1006)", "watchdog: no message for 60 s", ... */
  reason: string;
  /** Epoch ms of the transition (client clock). */
  at: number;
  /** Close code of the socket when the transition came from a close. */
  closeCode?: number;
}

/** Thrown by `send` when the connection is not live: commands are never queued for later. */
export class NotLiveError extends Error {
  constructor(
    readonly messageType: string,
    readonly state: ConnectionState,
  ) {
    super(`Cannot send "${messageType}": the connection is ${state}, not live (commands are not queued)`);
    this.name = 'NotLiveError';
  }
}
