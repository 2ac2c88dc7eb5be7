/**
 * Resident identity number (公民身份号码, GB 11643-1999), 18 characters:
 * address code (6) + birth date YYYYMMDD (8) + sequence code (3, its last digit
 * odd for men and even for women) + check character (1, ISO 7064 MOD 11-2).
 *
 * The old 15-digit form is not accepted: it has been out of issue since 2004
 * and carries no check character, so it cannot be validated meaningfully.
 */

import { isProvinceLevelPrefix } from './region-code';
import { chinaToday, isCalendarDate } from '../time/china-time';
import { msg, type Message } from '../i18n/message';

export const GENDERS = ['male', 'female'] as const;
export type Gender = (typeof GENDERS)[number];

export type NationalIdParse =
  | {
      ok: true;
      /** Date of birth as YYYY-MM-DD. */
      birthDate: string;
      gender: Gender;
      /**
       * The six-digit address code (地址码) the number begins with: where the
       * holder was first registered, not where they live now. It may be a code
       * abolished since, which is why only its province part is validated.
       */
      regionPrefix: string;
    }
  | { ok: false; reason: Message };

const NATIONAL_ID_LENGTH = 18;

const CHECK_WEIGHTS: readonly number[] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** Indexed by the weighted sum mod 11. */
const CHECK_CHARACTERS = '10X98765432';

/**
 * Earliest birth date we accept. Anyone born earlier would be over 120; a
 * number claiming that is far more likely mistyped or made up than real.
 */
const EARLIEST_BIRTH_DATE = '19000101';

/**
 * Birth dates are calendar dates in China, which is UTC+8 all year round (no
 * daylight saving). Judging "today" in the server's own time zone would reject
 * a baby born this morning in Beijing whenever the server's clock is still on
 * yesterday.
 */

const DIGITS = /^[0-9]+$/;

/**
 * The check character for the first 17 digits of an identity number.
 * Throws on malformed input because a caller building a number from bad parts
 * is a programming error, not a user error to report.
 */
export function nationalIdCheckCharacter(first17: string): string {
  if (first17.length !== NATIONAL_ID_LENGTH - 1 || !DIGITS.test(first17)) {
    throw new RangeError(`expected 17 digits, got '${first17}'`);
  }
  let weightedSum = 0;
  for (let position = 0; position < first17.length; position++) {
    weightedSum += Number(first17.charAt(position)) * CHECK_WEIGHTS[position];
  }
  return CHECK_CHARACTERS.charAt(weightedSum % 11);
}

export function parseNationalId(id: string, today: Date = new Date()): NationalIdParse {
  if (Number.isNaN(today.getTime())) {
    throw new RangeError('today must be a valid Date');
  }

  // Count code points so that a stray emoji counts as one character, not two.
  const characters = Array.from(id);
  if (characters.length !== NATIONAL_ID_LENGTH) {
    return {
      ok: false,
      reason: msg('id.length', { length: NATIONAL_ID_LENGTH, got: characters.length }),
    };
  }

  const firstNonDigit = characters
    .slice(0, NATIONAL_ID_LENGTH - 1)
    .findIndex((character) => !DIGITS.test(character));
  if (firstNonDigit >= 0) {
    return {
      ok: false,
      // Never echo the number's characters: a problem document may be logged or shown on a shared screen.
      reason: msg('id.digit', { position: firstNonDigit + 1 }),
    };
  }

  const checkCharacter = id.charAt(NATIONAL_ID_LENGTH - 1);
  if (checkCharacter === 'x') {
    // Rejected rather than silently upper-cased so that a stored number always
    // has exactly one spelling; callers who accept user input can normalise first.
    return { ok: false, reason: msg('id.upperX') };
  }
  if (!DIGITS.test(checkCharacter) && checkCharacter !== 'X') {
    return {
      ok: false,
      reason: msg('id.lastCharacter'),
    };
  }

  const province = id.slice(0, 2);
  if (!isProvinceLevelPrefix(province)) {
    return { ok: false, reason: msg('id.nationalIdProvince') };
  }

  const birth = id.slice(6, 14);
  if (!isCalendarDate(`${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`)) {
    return { ok: false, reason: msg('id.birthDateInvalid') };
  }
  if (birth < EARLIEST_BIRTH_DATE) {
    return { ok: false, reason: msg('id.birthDateTooEarly') };
  }
  const todayInChina = chinaToday(today).replace(/-/g, '');
  if (birth > todayInChina) {
    return { ok: false, reason: msg('id.birthDateFuture') };
  }

  // Checked last: when a field above is impossible, naming that field helps the
  // person fix their typo more than a bare checksum mismatch would.
  const expected = nationalIdCheckCharacter(id.slice(0, NATIONAL_ID_LENGTH - 1));
  if (checkCharacter !== expected) {
    return {
      ok: false,
      reason: msg('id.nationalIdCheck'),
    };
  }

  const sequenceDigit = Number(id.charAt(16));
  return {
    ok: true,
    birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
    gender: sequenceDigit % 2 === 1 ? 'male' : 'female',
    regionPrefix: id.slice(0, 6),
  };
}

/**
 * Hides the birth date and sequence code (the parts that identify a person)
 * while keeping enough to tell records apart: `110105********002X`.
 * Anything not 18 characters long is masked completely, because keeping
 * "first 6 and last 4" of a short string could reveal all of it.
 */
export function maskNationalId(id: string): string {
  if (id.length !== NATIONAL_ID_LENGTH) {
    return '*'.repeat(id.length);
  }
  return `${id.slice(0, 6)}${'*'.repeat(8)}${id.slice(14)}`;
}

/** A final lower-case x is the same check character; people type it that way. */
export const normaliseNationalId = (id: string): string => (id.length === 18 && id.endsWith('x') ? `${id.slice(0, 17)}X` : id);
