import { HttpStatus, UnprocessableEntityException, ValidationPipe, type ValidationError } from '@nestjs/common';

export interface FastApiValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

function flatten(errors: ValidationError[], where: string, parents: string[] = []): FastApiValidationIssue[] {
  return errors.flatMap((e) => {
    const path = [...parents, e.property];
    const own = Object.entries(e.constraints ?? {}).map(([type, msg]) => ({ loc: [where, ...path], msg, type: `value_error.${type}` }));
    return [...own, ...flatten(e.children ?? [], where, path)];
  });
}

/**
 * class-validator for every body, query and param DTO, with FastAPI's answer to bad input:
 * 422 `{"detail": [{"loc": ["body", "field"], "msg": "...", "type": "..."}]}`.
 */
export function fastApiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidUnknownValues: false,
    // Nest 12 drops the error's target by default; the `loc` below is read from the target's class name.
    validationError: { target: true },
    errorHttpStatusCode: HttpStatus.UNPROCESSABLE_ENTITY,
    exceptionFactory: (errors) => {
      // Nest does not say which part of the request failed; the DTO's metatype does not either, so the
      // location comes from the error's target class name convention (*Query, *Params) and defaults to body.
      const detail = errors.flatMap((e) => {
        const name = e.target?.constructor?.name ?? '';
        const where = /Query$/.test(name) ? 'query' : /Params?$/.test(name) ? 'path' : 'body';
        return flatten([e], where);
      });
      return new UnprocessableEntityException({ detail });
    },
  });
}
