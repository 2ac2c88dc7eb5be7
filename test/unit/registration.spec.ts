import { nationalIdCheckCharacter } from '../../src/common/identifiers/national-id';
import { MAX_SALARY_FEN, normaliseNationalId, parseRegistration as parseRegistrationRaw, REGISTRATION_FIELDS, REQUIRED_REGISTRATION_FIELDS } from '../../src/trainees/registration';
import { english, type English } from '../support/english';

/** The result with its texts in English, as the assertions below state them. */
const parseRegistration = (...args: Parameters<typeof parseRegistrationRaw>): English<ReturnType<typeof parseRegistrationRaw>> => english(parseRegistrationRaw(...args));

/** A fixed "today" (2024-06-01 12:00 in Beijing) so the tests keep their meaning as time passes. */
const TODAY = new Date(Date.UTC(2024, 5, 1, 4, 0, 0));

const withCheck = (first17: string): string => first17 + nationalIdCheckCharacter(first17);
/** GB 11643-1999's own example: Beijing Chaoyang, born 1949-12-31, female, check character X. */
const EXAMPLE_ID = '11010519491231002X';
const MALE_ID = withCheck('31010419980315001'); // sequence ends in 1: male
const FEMALE_ID = withCheck('31010419980315002');

const valid = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({ fullName: '张伟', nationalId: MALE_ID, ...overrides });

function errorOf(input: Record<string, unknown>, today = TODAY) {
  const r = parseRegistration(input, today);
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.value)}`);
  return r.error;
}

function valueOf(input: Record<string, unknown>, today = TODAY) {
  const r = parseRegistration(input, today);
  if (!r.ok) throw new Error(`expected success, got ${JSON.stringify(r.error)}`);
  return r.value;
}

describe('registration fields', () => {
  it('lists the register body fields, fullName and nationalId required', () => {
    expect([...REGISTRATION_FIELDS]).toEqual(['fullName', 'nationalId', 'phone', 'targetGroups', 'cohort', 'expectedMonthlySalaryFen']);
    expect([...REQUIRED_REGISTRATION_FIELDS]).toEqual(['fullName', 'nationalId']);
  });
});

describe('normaliseNationalId', () => {
  it('upper-cases a final lower-case x of an 18-character number only', () => {
    expect(normaliseNationalId('11010519491231002x')).toBe(EXAMPLE_ID);
    expect(normaliseNationalId(EXAMPLE_ID)).toBe(EXAMPLE_ID);
    expect(normaliseNationalId(MALE_ID)).toBe(MALE_ID);
    // Not 18 characters: left alone, so validation reports the length rather than a changed string.
    expect(normaliseNationalId('1101051949123100x')).toBe('1101051949123100x');
    // An x elsewhere is not a check character.
    expect(normaliseNationalId('x1010519491231002X')).toBe('x1010519491231002X');
  });
});

describe('parseRegistration', () => {
  it('accepts the minimal body and derives birth date and gender; optional fields default to null / []', () => {
    expect(valueOf(valid())).toEqual({
      fullName: '张伟',
      nationalId: MALE_ID,
      birthDate: '1998-03-15',
      gender: 'male',
      phone: null,
      targetGroups: [],
      cohort: null,
      expectedMonthlySalaryFen: null,
    });
    expect(valueOf(valid({ nationalId: FEMALE_ID })).gender).toBe('female');
    expect(valueOf(valid({ nationalId: EXAMPLE_ID }))).toMatchObject({ birthDate: '1949-12-31', gender: 'female' });
  });

  it('accepts a full JSON body as sent (strings untrimmed)', () => {
    expect(
      valueOf(valid({ fullName: ' 欧阳娜娜 ', phone: '13812345678', targetGroups: ['graduate', 'veteran'], cohort: '2026春季班', expectedMonthlySalaryFen: 1_200_000 })),
    ).toMatchObject({ fullName: ' 欧阳娜娜 ', phone: '13812345678', targetGroups: ['graduate', 'veteran'], cohort: '2026春季班', expectedMonthlySalaryFen: 1_200_000 });
  });

  it('takes CSV strings: groups split on ";" (trimmed), salary digits, empty cells as absent', () => {
    expect(valueOf(valid({ targetGroups: 'graduate;veteran', expectedMonthlySalaryFen: '500000' }))).toMatchObject({
      targetGroups: ['graduate', 'veteran'],
      expectedMonthlySalaryFen: 500_000,
    });
    expect(valueOf(valid({ targetGroups: ' rural_migrant ; disabled ' })).targetGroups).toEqual(['rural_migrant', 'disabled']);
    expect(valueOf(valid({ phone: '', targetGroups: '', cohort: '', expectedMonthlySalaryFen: '' }))).toMatchObject({
      phone: null,
      targetGroups: [],
      cohort: null,
      expectedMonthlySalaryFen: null,
    });
    expect(valueOf(valid({ phone: null, cohort: null, expectedMonthlySalaryFen: null })).phone).toBeNull();
  });

  it('normalises a final lower-case x to X (one spelling per person)', () => {
    expect(valueOf(valid({ nationalId: '11010519491231002x' })).nationalId).toBe(EXAMPLE_ID);
  });

  describe('fullName', () => {
    it.each([
      [{ fullName: undefined }, 'REQUIRED'],
      [{ fullName: '' }, 'REQUIRED'],
      [{ fullName: 42 }, 'REQUIRED'],
      [{ fullName: '张'.repeat(101) }, 'TOO_LONG'],
      [{ fullName: '张\u0000伟' }, 'NUL_CHARACTER'],
    ])('%j → %s', (override, code) => {
      expect(errorOf(valid(override))).toEqual({ field: 'fullName', code, message: expect.stringContaining('fullName') });
    });

    it('takes exactly 100 characters', () => {
      expect(valueOf(valid({ fullName: '张'.repeat(100) })).fullName).toHaveLength(100);
    });
  });

  describe('nationalId', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['bad checksum', MALE_ID.slice(0, 17) + (MALE_ID[17] === '0' ? '1' : '0'), /check character/],
      ['19990230 is not a date', withCheck('31010419990230001'), /birth date it holds is not a real date/],
      ['month 13', withCheck('31010419981315001'), /not a real date/],
      ['17 characters', MALE_ID.slice(0, 17), /18 characters, got 17/],
      ['19 characters', `${MALE_ID}1`, /18 characters, got 19/],
      ['letters', `3101041998031500A${MALE_ID[17]}`, /character 17 must be a digit/],
      ['a bad check letter', `${MALE_ID.slice(0, 17)}Y`, /last character/],
      ['born tomorrow (Beijing)', withCheck('31010420240602001'), /future/],
      ['born before 1900', withCheck('31010418991231001'), /before 1900/],
      ['not a province', withCheck('99010419980315001'), /province/],
      ['spaces around it', ` ${MALE_ID.slice(1)}`, /digit/],
    ];
    it.each(cases)('%s → INVALID_NATIONAL_ID naming the problem', (_name, id, message) => {
      const error = errorOf(valid({ nationalId: id }));
      expect(error.field).toBe('nationalId');
      expect(error.code).toBe('INVALID_NATIONAL_ID');
      expect(error.message).toMatch(message);
      // The message names what is wrong, never the whole number.
      expect(error.message).not.toContain(id.trim());
    });

    it('accepts someone born today in Beijing even while it is still yesterday in UTC', () => {
      const lateUtc = new Date(Date.UTC(2024, 5, 1, 17, 0, 0)); // 2024-06-02 01:00 in Beijing
      expect(valueOf(valid({ nationalId: withCheck('31010420240602001') }), lateUtc).birthDate).toBe('2024-06-02');
    });

    it.each([undefined, '', 3101041998])('%j → REQUIRED', (nationalId) => {
      expect(errorOf(valid({ nationalId }))).toMatchObject({ field: 'nationalId', code: 'REQUIRED' });
    });
  });

  describe('phone', () => {
    it.each(['12345678901', '1381234567', '138123456789', '+8613812345678', '138 1234 5678', '１３８１２３４５６７８'])('%s → INVALID_PHONE', (phone) => {
      expect(errorOf(valid({ phone }))).toEqual({ field: 'phone', code: 'INVALID_PHONE', message: expect.any(String) });
    });
    it('a number is not a phone string', () => {
      expect(errorOf(valid({ phone: 13812345678 })).code).toBe('INVALID_PHONE');
    });
    it.each(['13012345678', '19912345678'])('%s is a mainland mobile', (phone) => {
      expect(valueOf(valid({ phone })).phone).toBe(phone);
    });
  });

  describe('targetGroups', () => {
    it.each([
      [['astronaut'], 'INVALID_TARGET_GROUP'],
      [['graduate', 42], 'INVALID_TARGET_GROUP'],
      ['graduate;astronaut', 'INVALID_TARGET_GROUP'],
      ['Graduate', 'INVALID_TARGET_GROUP'],
      [{ graduate: true }, 'INVALID_TARGET_GROUP'],
      [42, 'INVALID_TARGET_GROUP'],
      [['graduate', 'graduate'], 'DUPLICATE_TARGET_GROUP'],
      ['veteran;veteran', 'DUPLICATE_TARGET_GROUP'],
    ])('%j → %s', (targetGroups, code) => {
      expect(errorOf(valid({ targetGroups }))).toMatchObject({ field: 'targetGroups', code });
    });
    it('takes all five groups', () => {
      const all = ['graduate', 'veteran', 'rural_migrant', 'unemployed', 'disabled'];
      expect(valueOf(valid({ targetGroups: all })).targetGroups).toEqual(all);
      expect(valueOf(valid({ targetGroups: all.join(';') })).targetGroups).toEqual(all);
    });
  });

  describe('cohort', () => {
    it.each([['x'.repeat(101)], [42], ['a\u0000b']])('%j → INVALID_COHORT', (cohort) => {
      expect(errorOf(valid({ cohort }))).toMatchObject({ field: 'cohort', code: 'INVALID_COHORT' });
    });
    it('takes 100 characters', () => {
      expect(valueOf(valid({ cohort: '班'.repeat(100) })).cohort).toHaveLength(100);
    });
  });

  describe('expectedMonthlySalaryFen', () => {
    it.each([-1, 1.5, MAX_SALARY_FEN + 1, '-1', '1.5', '1e6', ' 500', 'abc', '1234567890123', true, Number.NaN])('%j → INVALID_AMOUNT', (salary) => {
      expect(errorOf(valid({ expectedMonthlySalaryFen: salary }))).toMatchObject({ field: 'expectedMonthlySalaryFen', code: 'INVALID_AMOUNT' });
    });
    it.each([
      [0, 0],
      ['0', 0],
      [MAX_SALARY_FEN, MAX_SALARY_FEN],
      [String(MAX_SALARY_FEN), MAX_SALARY_FEN],
      ['007', 7],
    ])('%j → %d', (salary, expected) => {
      expect(valueOf(valid({ expectedMonthlySalaryFen: salary })).expectedMonthlySalaryFen).toBe(expected);
    });
  });

  it('reports the first problem only, in field order', () => {
    expect(errorOf({ fullName: '', nationalId: 'bad', phone: 'bad' }).field).toBe('fullName');
    expect(errorOf({ fullName: '张伟', nationalId: 'bad', phone: 'bad' }).field).toBe('nationalId');
    expect(errorOf({ fullName: '张伟', nationalId: MALE_ID, phone: 'bad', targetGroups: ['x'] }).field).toBe('phone');
  });

  it('uses the real current date by default', () => {
    const nextYear = new Date().getUTCFullYear() + 1;
    expect(parseRegistration(valid({ nationalId: withCheck(`310104${nextYear}0101001`) }))).toMatchObject({ ok: false, error: { code: 'INVALID_NATIONAL_ID' } });
  });
});
