import { divideRound } from '../../src/statistics/statistics.calculator';
import { addCalendarMonths, interpolateQuantile, isSuppressed, percentileCont, quantileRanks, rate, roundFen } from '../../src/statistics/statistics.math';

describe('statistics maths', () => {
  it('quantile ranks follow percentile_cont (type 7): h = p·(n−1)', () => {
    expect(quantileRanks(1, 0.5)).toEqual([0, 0]);
    expect(quantileRanks(2, 0.5)).toEqual([0, 1]);
    expect(quantileRanks(4, 0.25)).toEqual([0, 1]);
    expect(quantileRanks(5, 0.5)).toEqual([2, 3]);
    expect(quantileRanks(5, 0.75)).toEqual([3, 4]);
    expect(() => quantileRanks(0, 0.5)).toThrow(RangeError);
  });

  it('an even count has the mean of the two middle values as median; known textbook cases', () => {
    expect(percentileCont([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileCont([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(percentileCont([1, 2, 3, 4], 0.75)).toBe(3.25);
    expect(percentileCont([7], 0.25)).toBe(7);
    expect(percentileCont([], 0.5)).toBeNull();
    // numpy.percentile([15, 20, 35, 40, 50], [25, 50, 75]) == [20, 35, 40]
    expect([0.25, 0.5, 0.75].map((p) => percentileCont([15, 20, 35, 40, 50], p))).toEqual([20, 35, 40]);
    expect(interpolateQuantile(4, 0.5, 15_000_000, 15_000_001)).toBe(15_000_000.5);
  });

  it('rounds to the nearest fen, halves away from zero, like Postgres round(numeric)', () => {
    expect(roundFen(15_000_000.5)).toBe(15_000_001);
    expect(roundFen(15_000_000.25)).toBe(15_000_000);
    expect(roundFen(-2.5)).toBe(-3);
    expect(divideRound('7', 2)).toBe(4);
    expect(divideRound('5', 3)).toBe(2);
    expect(divideRound('1234567890123455', 10)).toBe(123456789012346);
  });

  it('suppresses fewer than five salaries and divides safely', () => {
    expect(isSuppressed(4)).toBe(true);
    expect(isSuppressed(5)).toBe(false);
    expect(rate(1, 4)).toBe(0.25);
    expect(rate(0, 0)).toBeNull();
  });

  it('adds calendar months like Postgres, clamping to the end of shorter months', () => {
    expect(addCalendarMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addCalendarMonths('2024-08-31', 6)).toBe('2025-02-28');
    expect(addCalendarMonths('2025-11-15', 12)).toBe('2026-11-15');
  });
});
