/**
 * Where the realtime connection is: `connecting` (first attempt), `live` (WebSocket open and caught up),
 * `reconnecting` (lost; retrying with backoff), `recovering` (reconnected, replaying what was missed
 * after a `resume`), `fallback` (WebSocket blocked: receiving over Server-Sent Events, read-only) and
 * `offline` (closed by us, or refused by the server for good).
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
