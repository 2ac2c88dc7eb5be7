import { Body, PipeTransform } from '@nestjs/common';
import { ProblemError } from '../problems/problem';
import { validationProblem } from './validation';
import { msg } from '../i18n/message';

/** For actions without inputs: no body, `{}` or `null` is fine; any field is refused like any unknown field. */
class EmptyBodyPipe implements PipeTransform {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ProblemError('VALIDATION_FAILED', msg('body.noBodyExpected'), [{ field: '(body)', code: 'INVALID_BODY', message: msg('field.noBody') }]);
    }
    const fields = Object.keys(value);
    if (fields.length) {
      throw validationProblem(fields.map((f) => ({ field: f, code: 'UNKNOWN_FIELD', message: msg('field.unknown', { field: f }) })));
    }
    return undefined;
  }
}

export const EmptyBody = (): ParameterDecorator => Body(new EmptyBodyPipe());
