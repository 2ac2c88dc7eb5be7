import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { msg, type Message } from '../i18n/message';
import type { MessageKey } from '../i18n/messages';
import { validateCreditCode } from '../identifiers/credit-code';
import { normaliseNationalId, parseNationalId } from '../identifiers/national-id';
import { validateRegionCode } from '../identifiers/region-code';
import { messageMarker } from './validation';
import { ProblemError } from '../problems/problem';

type Check = (value: string) => { ok: true } | { ok: false; reason: Message };

/** A field holding an identifier with a check of its own; its failure says why, in the catalogue's words. */
function identifierDecorator(name: string, check: Check, message: Extract<MessageKey, 'field.creditCode' | 'field.regionCode' | 'field.nationalId'>, what: Message) {
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
            if (typeof args.value !== 'string') return messageMarker(msg('field.identifierType', { field: args.property, what }));
            const result = check(args.value);
            return messageMarker(result.ok ? msg('field.invalid', { field: args.property }) : msg(message, { field: args.property, reason: result.reason }));
          },
        },
      });
}

/** GB 32100-2015 Unified Social Credit Code, check character verified; failures answer INVALID_CREDIT_CODE. */
export const IsCreditCode = identifierDecorator('isCreditCode', validateCreditCode, 'field.creditCode', msg('field.creditCodeWhat'));

/** GB/T 2260 six-digit administrative division code; failures answer INVALID_REGION_CODE. */
export const IsRegionCode = identifierDecorator('isRegionCode', validateRegionCode, 'field.regionCode', msg('field.regionCodeWhat'));

/** GB 11643-1999 resident identity number (a final lower-case x accepted); failures answer INVALID_NATIONAL_ID. */
export const IsNationalId = identifierDecorator(
  'isNationalId',
  (value) => {
    const r = parseNationalId(normaliseNationalId(value));
    return r.ok ? { ok: true } : r;
  },
  'field.nationalId',
  msg('field.nationalIdWhat'),
);

/** A region code taken from a path: the code itself, or 400 INVALID_REGION_CODE naming `field`. */
export function requireRegionCode(value: string, field = 'regionCode'): string {
  const valid = validateRegionCode(value);
  if (!valid.ok) {
    const reason = msg('field.regionCode', { field, reason: valid.reason });
    throw new ProblemError('INVALID_REGION_CODE', reason, [{ field, code: 'INVALID_REGION_CODE', message: reason }]);
  }
  return value;
}
