import { Body, PipeTransform } from '@nestjs/common';
import { ProblemError } from '../problems/problem';

/** For actions without inputs: no body, `{}` or `null` is fine; any field is refused like any unknown field. */
class EmptyBodyPipe implements PipeTransform {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ProblemError('VALIDATION_FAILED', 'This action takes no body (or an empty JSON object)', [
        { field: '(body)', code: 'INVALID_BODY', message: 'send no body or {}' },
      ]);
    }
    const fields = Object.keys(value);
    if (fields.length) {
      throw new ProblemError(
        'VALIDATION_FAILED',
        fields.map((f) => `${f}: property ${f} should not exist`).join('; '),
        fields.map((f) => ({ field: f, code: 'UNKNOWN_FIELD', message: `property ${f} should not exist` })),
      );
    }
    return undefined;
  }
}

export const EmptyBody = (): ParameterDecorator => Body(new EmptyBodyPipe());
