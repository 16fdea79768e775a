import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import { AlarmError, AlarmErrorCode } from './alarm-errors';

/** Domain errors to FastAPI-style HTTP answers, in one place. */
@Catch(AlarmError)
export class AlarmHttpFilter implements ExceptionFilter {
  catch(e: AlarmError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    switch (e.code) {
      case AlarmErrorCode.FORBIDDEN:
        res.status(HttpStatus.FORBIDDEN).json({ detail: e.message });
        return;
      case AlarmErrorCode.NOT_FOUND:
        res.status(HttpStatus.NOT_FOUND).json({ detail: e.message });
        return;
      case AlarmErrorCode.CONFLICT:
        res.status(HttpStatus.CONFLICT).json({ detail: e.message });
        return;
      case AlarmErrorCode.VALIDATION:
        res.status(HttpStatus.UNPROCESSABLE_ENTITY).json({ detail: [{ loc: e.loc ?? ['body'], msg: e.message, type: 'value_error' }] });
        return;
    }
  }
}
