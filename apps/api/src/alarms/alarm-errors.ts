/** Domain errors of the alarm feature; each transport maps the code once (HTTP status, WS error code). */
export const AlarmErrorCode = {
  /** The principal's role may not do this (operators, anonymous viewers). */
  FORBIDDEN: 'forbidden',
  /** No such alarm (or line). */
  NOT_FOUND: 'not_found',
  /** The alarm's state does not allow it (e.g. shelving a closed alarm). */
  CONFLICT: 'conflict',
  /** A field is missing or wrong (e.g. the rule requires a comment). */
  VALIDATION: 'validation',
} as const;
export type AlarmErrorCode = (typeof AlarmErrorCode)[keyof typeof AlarmErrorCode];

export class AlarmError extends Error {
  constructor(
    readonly code: AlarmErrorCode,
    message: string,
    /** For VALIDATION: where the offending field is, FastAPI style, e.g. `['body', 'comment']`. */
    readonly loc?: (string | number)[],
  ) {
    super(message);
    this.name = 'AlarmError';
  }
}
