import { ErrorCode, echoOriginal, parseClientFrame, type ErrorCode as ErrorCodeT } from '@lm/protocol';

/** Event name for frames that failed parsing; the gateway answers them with an `error` frame. */
export const INVALID_FRAME = '__invalid_frame';

export interface InvalidFrame {
  code: ErrorCodeT;
  message: string;
  original_message?: string;
  request_id?: string;
}

/**
 * WsAdapter routes on `{event}` and silently drops anything it cannot route (TOOLCHAIN.md), so every
 * frame is mapped here: a valid client message to its `type`, anything else to INVALID_FRAME.
 */
export function wsMessageParser(raw: unknown): { event: string; data: unknown } {
  if (typeof raw !== 'string') {
    const invalid: InvalidFrame = { code: ErrorCode.BINARY_NOT_SUPPORTED, message: 'Binary frames are not supported: send JSON text frames' };
    return { event: INVALID_FRAME, data: invalid };
  }
  const result = parseClientFrame(raw);
  if (result.ok) return { event: result.message.type, data: result.message };
  const invalid: InvalidFrame = {
    code: result.code,
    message: result.message,
    original_message: echoOriginal(raw),
    request_id: result.request_id,
  };
  return { event: INVALID_FRAME, data: invalid };
}
