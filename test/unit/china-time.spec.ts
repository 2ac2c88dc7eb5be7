import { chinaToday, isCalendarDate } from '../../src/common/time/china-time';

describe('isCalendarDate', () => {
  it.each(['2024-02-29', '2000-02-29', '1999-12-31', '2023-04-30', '0001-01-01'])('%s is a date', (d) => expect(isCalendarDate(d)).toBe(true));
  it.each(['2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00', '2024-1-01', '20240101', ''])('%s is not', (d) => expect(isCalendarDate(d)).toBe(false));
  it('is not a string', () => expect(isCalendarDate(20240101)).toBe(false));
});

describe('chinaToday', () => {
  it('is the date at UTC+8, for each instant asked', () => {
    expect(chinaToday(new Date('2026-12-06T15:59:59Z'))).toBe('2026-12-06');
    expect(chinaToday(new Date('2026-12-06T16:00:00Z'))).toBe('2026-12-07');
    expect(chinaToday(new Date('2026-12-06T15:59:59Z'))).toBe('2026-12-06');
  });
});
