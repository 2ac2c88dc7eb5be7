import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { validateCreditCode } from '../identifiers/credit-code';
import { normaliseNationalId, parseNationalId } from '../identifiers/national-id';
import { validateRegionCode } from '../identifiers/region-code';
import { ProblemError } from '../problems/problem';

function identifierDecorator(name: string, check: (value: string) => { ok: true } | { ok: false; reason: string }, label: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: String(propertyName),
        options,
        validator: {
          validate: (value: unknown) => typeof value === 'string' && check(value).ok,
          defaultMessage: (args: ValidationArguments) => {
            if (typeof args.value !== 'string') return `${args.property} must be a string (${label})`;
            const result = check(args.value);
            return result.ok ? `${args.property} is not valid` : `${args.property} ${result.reason}`;
          },
        },
      });
}

/** GB 32100-2015 Unified Social Credit Code, check character verified; failures answer INVALID_CREDIT_CODE. */
export const IsCreditCode = identifierDecorator('isCreditCode', validateCreditCode, 'an 18-character Unified Social Credit Code');

/** GB/T 2260 six-digit administrative division code; failures answer INVALID_REGION_CODE. */
export const IsRegionCode = identifierDecorator('isRegionCode', validateRegionCode, 'a six-digit GB/T 2260 code');

/** GB 11643-1999 resident identity number (a final lower-case x accepted); failures answer INVALID_NATIONAL_ID. */
export const IsNationalId = identifierDecorator(
  'isNationalId',
  (value) => {
    const r = parseNationalId(normaliseNationalId(value));
    return r.ok ? { ok: true } : r;
  },
  'an 18-character resident identity number',
);

/** A region code taken from a path: the code itself, or 400 INVALID_REGION_CODE naming `field`. */
export function requireRegionCode(value: string, field = 'regionCode'): string {
  const valid = validateRegionCode(value);
  if (!valid.ok) throw new ProblemError('INVALID_REGION_CODE', `${field} ${valid.reason}`, [{ field, code: 'INVALID_REGION_CODE', message: `${field} ${valid.reason}` }]);
  return value;
}
