/**
 * Unified Social Credit Code (统一社会信用代码, GB 32100-2015): the 18-character
 * identifier of every legal person and other organisation in China.
 *
 * Layout: registration authority (1) + organisation type (1) + administrative
 * division of the registering office (6) + organisation code (9, GB 11714)
 * + check character (1, computed per GB/T 17710 MOD 31-3).
 */
import { msg, type Message } from '../i18n/message';

export type CreditCodeValidation = { ok: true } | { ok: false; reason: Message };

/**
 * The 31 characters a credit code may use. I, O, Z, S and V are left out
 * because they are too easily confused with 1, 0, 2, 5 and U on paper forms.
 * A character's position in this string is its numeric value in the checksum.
 */
const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/**
 * The registration authorities GB 32100-2015 allocates (e.g. 1 机构编制 public
 * sector establishments, 5 民政 civil affairs, 9 工商 market regulation,
 * N 农业 agriculture, Y other); a code starting with anything else was never issued.
 */
const REGISTRATION_AUTHORITY_CODES = '123456789ANY';

/** Weight of each of the first 17 positions: 3^i mod 31. */
const CHECK_WEIGHTS: readonly number[] = [
  1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

const CREDIT_CODE_LENGTH = 18;
const SIX_DIGITS = /^[0-9]{6}$/;

/**
 * The check character for the first 17 characters of a credit code.
 * Throws on malformed input because a caller building a code from bad parts is
 * a programming error, not a user error to report.
 */
export function creditCodeCheckCharacter(first17: string): string {
  if (first17.length !== CREDIT_CODE_LENGTH - 1) {
    throw new RangeError(`expected 17 characters, got ${first17.length}`);
  }
  let weightedSum = 0;
  for (let position = 0; position < first17.length; position++) {
    const value = CREDIT_CODE_CHARSET.indexOf(first17.charAt(position));
    if (value < 0) {
      throw new RangeError(
        `character '${first17.charAt(position)}' is not allowed in a credit code`,
      );
    }
    weightedSum += value * CHECK_WEIGHTS[position];
  }
  const modulus = CREDIT_CODE_CHARSET.length;
  return CREDIT_CODE_CHARSET.charAt((modulus - (weightedSum % modulus)) % modulus);
}

export function validateCreditCode(code: string): CreditCodeValidation {
  // Count code points, not UTF-16 units, so that an emoji or other astral
  // character is reported as one bad character rather than half of one.
  const characters = Array.from(code);
  if (characters.length !== CREDIT_CODE_LENGTH) {
    return {
      ok: false,
      reason: msg('id.length', { length: CREDIT_CODE_LENGTH, got: characters.length }),
    };
  }

  const disallowed = characters.find((character) => !CREDIT_CODE_CHARSET.includes(character));
  if (disallowed !== undefined) {
    // Lower case is by far the commonest cause, and "not allowed: 'a'" alone
    // leaves people wondering why a perfectly ordinary letter is rejected.
    const upper = disallowed.toUpperCase();
    const hint = upper !== disallowed && CREDIT_CODE_CHARSET.includes(upper) ? msg('id.creditCodeHint', { instead: upper }) : '';
    return {
      ok: false,
      reason: msg('id.creditCodeCharacter', { character: disallowed, hint }),
    };
  }

  const registrationAuthority = code.charAt(0);
  if (!REGISTRATION_AUTHORITY_CODES.includes(registrationAuthority)) {
    return {
      ok: false,
      reason: msg('id.creditCodeAuthority', { code: registrationAuthority }),
    };
  }

  const divisionCode = code.slice(2, 8);
  if (!SIX_DIGITS.test(divisionCode)) {
    return {
      ok: false,
      reason: msg('id.creditCodeDivision', { division: divisionCode }),
    };
  }

  const expected = creditCodeCheckCharacter(code.slice(0, CREDIT_CODE_LENGTH - 1));
  const actual = code.charAt(CREDIT_CODE_LENGTH - 1);
  if (actual !== expected) {
    return { ok: false, reason: msg('id.checkCharacter', { expected, actual }) };
  }
  return { ok: true };
}
