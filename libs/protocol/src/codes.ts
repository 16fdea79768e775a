/** Stable `code` values of `error` frames. Clients switch on these, never on the message text. */
export const ErrorCode = {
  /** The frame was not valid JSON. */
  INVALID_JSON: 'invalid_json',
  /** Valid JSON, but not a `{type, data}` object. */
  INVALID_ENVELOPE: 'invalid_envelope',
  /** `type` is not a client message this server knows. */
  UNKNOWN_TYPE: 'unknown_type',
  /** Known type, but `data` is missing a field or a field has the wrong type or range. */
  INVALID_DATA: 'invalid_data',
  /** Binary frames are not part of the protocol. */
  BINARY_NOT_SUPPORTED: 'binary_not_supported',
  /** The user's role does not allow this command. */
  FORBIDDEN: 'forbidden',
  /** The command names something that does not exist (alarm, line). */
  NOT_FOUND: 'not_found',
  /** The command is reserved but not available on this server yet. */
  UNAVAILABLE: 'unavailable',
  /** Too many frames: slow down (repeated flooding closes with 1008). */
  RATE_LIMITED: 'rate_limited',
  /** The server failed; the message is generic and the details are in the server log. */
  INTERNAL: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** WebSocket close codes used by the server (DESIGN.md section 4). */
export const CloseCode = {
  /** Server shutting down: reconnect (to another instance) and resume. */
  GOING_AWAY: 1001,
  /** Policy violation, e.g. flooding. */
  POLICY: 1008,
  /** Frame larger than the server accepts. */
  TOO_LARGE: 1009,
  /** The server restarted its stream (it missed messages): reconnect, resume gets recovered: false, reload a snapshot. */
  SERVICE_RESTART: 1012,
  /** Missing, invalid or expired token. */
  UNAUTHENTICATED: 4401,
  /** Origin not allowed, or role not allowed. */
  FORBIDDEN: 4403,
  /** Too many connections; the reason says when to retry. */
  TOO_MANY_CONNECTIONS: 4429,
  /** The client could not keep up with the stream; reconnect and resume. */
  SLOW_CONSUMER: 4408,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
