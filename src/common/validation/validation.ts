import { Param, ParseUUIDPipe, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ProblemCode, ProblemError } from '../problems/problem';

/** Constraint names whose failure has a code of its own in the contract. */
const DOMAIN_CODES: Record<string, ProblemCode> = {
  isCreditCode: 'INVALID_CREDIT_CODE',
  isRegionCode: 'INVALID_REGION_CODE',
  isNationalId: 'INVALID_NATIONAL_ID',
};

const upperSnake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function fieldCode(constraint: string): string {
  if (constraint === 'whitelistValidation') return 'UNKNOWN_FIELD';
  if (constraint === 'unknownValue') return 'INVALID_BODY';
  return DOMAIN_CODES[constraint] ?? upperSnake(constraint);
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    for (const [constraint, message] of Object.entries(e.constraints ?? {})) {
      out.push({ field: field || '(body)', code: fieldCode(constraint), message });
    }
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

export function validationProblem(errors: FieldError[]): ProblemError {
  const domainCodes = new Set(errors.map((e) => Object.values(DOMAIN_CODES).find((c) => c === e.code)));
  const only = domainCodes.size === 1 ? [...domainCodes][0] : undefined;
  const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return new ProblemError(only ?? 'VALIDATION_FAILED', detail, errors);
}

/**
 * The one validation pipe: unknown fields are refused (server-owned ones such as `id` or `status` included),
 * values are transformed into the DTO classes, and failures become a problem document listing each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
  });
}

/** A path parameter that must be a UUID; anything else answers 400 before any look-up. */
export const UuidParam = (name: string): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new ProblemError('VALIDATION_FAILED', `${name} must be a UUID`, [{ field: name, code: 'IS_UUID', message: `${name} must be a UUID` }]),
    }),
  );
