import {
  canBePlaced,
  checkOperatorStatusChange as checkOperatorStatusChangeRaw,
  maskName,
  OPERATOR_SETTABLE_STATUSES,
  TARGET_GROUPS,
  TRAINEE_STATUSES,
  TraineeStatus,
} from '../../src/trainees/trainee.rules';
import { english, type English } from '../support/english';

/** The result with its texts in English, as the assertions below state them. */
const checkOperatorStatusChange = (...args: Parameters<typeof checkOperatorStatusChangeRaw>): English<ReturnType<typeof checkOperatorStatusChangeRaw>> => english(checkOperatorStatusChangeRaw(...args));

describe('trainee statuses', () => {
  it('are the five of API.md; the operator may set all but placed', () => {
    expect([...TRAINEE_STATUSES]).toEqual(['registered', 'training', 'completed', 'placed', 'withdrawn']);
    expect([...OPERATOR_SETTABLE_STATUSES]).toEqual(['registered', 'training', 'completed', 'withdrawn']);
    expect([...TARGET_GROUPS]).toEqual(['graduate', 'veteran', 'rural_migrant', 'unemployed', 'disabled']);
  });
});

describe('checkOperatorStatusChange', () => {
  /** Every operator move API.md allows: registered → training → completed; any but placed → withdrawn. */
  const ALLOWED = new Set(['registered>training', 'training>completed', 'registered>withdrawn', 'training>withdrawn', 'completed>withdrawn']);

  const pairs: Array<[TraineeStatus, TraineeStatus]> = [];
  for (const from of TRAINEE_STATUSES) for (const to of TRAINEE_STATUSES) if (from !== to) pairs.push([from, to]);

  it.each(pairs)('%s → %s', (from, to) => {
    const result = checkOperatorStatusChange(from, to);
    expect(result.ok).toBe(ALLOWED.has(`${from}>${to}`));
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(10);
  });

  it.each([...TRAINEE_STATUSES])('setting %s again is no change and allowed', (status) => {
    expect(checkOperatorStatusChange(status, status)).toEqual({ ok: true });
  });

  it('explains why: placed belongs to the system, moves back are named with the next step', () => {
    expect(checkOperatorStatusChange('completed', 'placed')).toEqual({ ok: false, reason: expect.stringMatching(/system/) });
    expect(checkOperatorStatusChange('placed', 'withdrawn')).toEqual({ ok: false, reason: expect.stringMatching(/placement ends/) });
    expect(checkOperatorStatusChange('completed', 'training')).toEqual({ ok: false, reason: expect.stringMatching(/completed.*training.*next: withdrawn/) });
    expect(checkOperatorStatusChange('registered', 'completed')).toEqual({ ok: false, reason: expect.stringMatching(/next: training \| withdrawn/) });
    const fromWithdrawn = checkOperatorStatusChange('withdrawn', 'registered');
    expect(fromWithdrawn.ok).toBe(false);
    if (!fromWithdrawn.ok) expect(fromWithdrawn.reason).not.toMatch(/next:/);
  });
});

describe('canBePlaced', () => {
  it.each([
    ['registered', true],
    ['training', true],
    ['completed', true],
    ['placed', false],
    ['withdrawn', false],
  ] as Array<[TraineeStatus, boolean]>)('%s → %s', (status, expected) => {
    expect(canBePlaced({ status, erased: false })).toBe(expected);
  });

  it.each(TRAINEE_STATUSES)('an erased %s trainee cannot be placed', (status) => {
    expect(canBePlaced({ status, erased: true })).toBe(false);
  });
});

describe('maskName', () => {
  it.each([
    ['张三丰', '张**'],
    ['张伟', '张*'],
    ['欧阳娜娜', '欧***'],
    ['张', '张*'], // never reveals that the name is one character long
    [' 李四 ', '李*'],
    ['𠀀大', '𠀀*'], // a character outside the BMP counts once
    ['', ''],
    ['   ', ''],
    ['Zhang Wei', 'Z********'],
  ])('%j → %j', (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
});
