import { Param, ParseUUIDPipe, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, type ValidationArguments } from 'class-validator';
import { isMessage, msg, type Message } from '../i18n/message';
import type { MessageKey } from '../i18n/messages';
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

/**
 * A validator's message that is a catalogue message: class-validator only passes strings along, so a decorator
 * whose failure has a text of its own says it through this marker (see fieldMessage and identifierDecorator).
 */
const MARKER = 'i18n:';

export function messageMarker(message: Message): string {
  return MARKER + JSON.stringify(message);
}

function fromMarker(text: string): Message | null {
  if (!text.startsWith(MARKER)) return null;
  try {
    const parsed: unknown = JSON.parse(text.slice(MARKER.length));
    return isMessage(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** A decorator's `message` option in the catalogue's words: `@Matches(RE, { message: fieldMessage('field.mobile') })`. */
export function fieldMessage(key: MessageKey): (args: ValidationArguments) => string {
  return (args) => messageMarker({ key, params: { field: args.property } });
}

/** The arguments of the constraint `name` on a property of the validated class (e.g. Length's min and max). */
function constraintArguments(target: object | undefined, property: string, name: string): unknown[] {
  if (!target) return [];
  const storage = getMetadataStorage();
  for (const m of storage.getTargetValidationMetadatas(target.constructor, '', true, false)) {
    if (m.propertyName !== property) continue;
    const constraintName = m.name ?? (m.constraintCls ? storage.getTargetValidatorConstraints(m.constraintCls)[0]?.name : undefined) ?? m.type;
    if (constraintName === name) return m.constraints ?? [];
  }
  return [];
}

const list = (values: unknown): string => (Array.isArray(values) ? values.join(', ') : String(values));

/**
 * The catalogue's message for each class-validator constraint the DTOs use (a test checks every constraint of
 * every DTO has one here or says its own through fieldMessage/messageMarker).
 */
export const CONSTRAINT_MESSAGES: Record<string, (field: string, args: unknown[], each: boolean) => Message> = {
  whitelistValidation: (field) => msg('field.unknown', { field }),
  unknownValue: () => msg('field.invalidBody'),
  isString: (field) => msg('field.string', { field }),
  isInt: (field) => msg('field.integer', { field }),
  isBoolean: (field) => msg('field.boolean', { field }),
  isArray: (field) => msg('field.array', { field }),
  isUuid: (field) => msg('field.uuid', { field }),
  isLength: (field, [min, max]) => msg('field.lengthBetween', { field, min: Number(min), max: max === undefined ? '∞' : Number(max) }),
  maxLength: (field, [max]) => msg('field.maxLength', { field, max: Number(max) }),
  min: (field, [min]) => msg('field.min', { field, min: Number(min) }),
  max: (field, [max]) => msg('field.max', { field, max: Number(max) }),
  isIn: (field, [values], each) => (each ? msg('field.eachOneOf', { field, values: list(values) }) : msg('field.oneOf', { field, values: list(values) })),
  arrayMinSize: (field, [min]) => msg('field.arrayMinSize', { field, min: Number(min) }),
  arrayMaxSize: (field, [max]) => msg('field.arrayMaxSize', { field, max: Number(max) }),
  arrayUnique: (field) => msg('field.arrayUnique', { field }),
  matches: (field) => msg('field.pattern', { field }),
};

/** The message of one failed constraint of class-validator, in the catalogue's words. */
function constraintMessage(constraint: string, text: string, field: string, args: unknown[], each: boolean): Message {
  return fromMarker(text) ?? CONSTRAINT_MESSAGES[constraint]?.(field, args, each) ?? msg('field.invalid', { field });
}

/** Whether the constraint applies to each element of an array (`{ each: true }`). */
function appliesToEach(target: object | undefined, property: string, name: string): boolean {
  if (!target) return false;
  const storage = getMetadataStorage();
  return storage
    .getTargetValidationMetadatas(target.constructor, '', true, false)
    .some((m) => m.propertyName === property && m.each && (m.name ?? (m.constraintCls ? storage.getTargetValidatorConstraints(m.constraintCls)[0]?.name : undefined)) === name);
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    for (const [constraint, text] of Object.entries(e.constraints ?? {})) {
      const args = constraintArguments(e.target, e.property, constraint);
      out.push({ field: field || '(body)', code: fieldCode(constraint), message: constraintMessage(constraint, text, e.property, args, appliesToEach(e.target, e.property, constraint)) });
    }
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** One problem for field errors: the contract's own code when they are all of one identifier, else VALIDATION_FAILED. */
export function validationProblem(errors: FieldError[]): ProblemError {
  const domainCodes = new Set(errors.map((e) => Object.values(DOMAIN_CODES).find((c) => c === e.code)));
  const only = domainCodes.size === 1 ? [...domainCodes][0] : undefined;
  const detail = msg('validation.summary', { items: errors.map((e) => msg('validation.item', { field: e.field, message: e.message })) });
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
    // The target lets each failure find its constraint's arguments (Length's bounds, IsIn's values) for its message.
    validationError: { target: true, value: false },
    exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
  });
}

/** A path parameter that must be a UUID; anything else answers 400 before any look-up. */
export const UuidParam = (name: string): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new ProblemError('VALIDATION_FAILED', msg('field.uuid', { field: name }), [{ field: name, code: 'IS_UUID', message: msg('field.uuid', { field: name }) }]),
    }),
  );
