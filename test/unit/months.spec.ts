import { addMonths, archiveCutoff, isMonth, monthOf, monthOfPartition, monthPartitionName, monthRange, monthStart } from '../../src/database/months';
import { comingMonths } from '../../src/database/month-partitions';

describe('months (UTC) of the month-partitioned tables', () => {
  it('reads and moves months, across years', () => {
    expect(isMonth('2026-12')).toBe(true);
    for (const wrong of ['2026-13', '2026-00', '2026-1', '26-01', '2026-01-01', '']) expect(isMonth(wrong)).toBe(false);
    expect(addMonths('2026-12', 1)).toBe('2027-01');
    expect(addMonths('2026-01', -1)).toBe('2025-12');
    expect(addMonths('2026-05', -17)).toBe('2024-12');
    expect(addMonths('2026-05', 0)).toBe('2026-05');
    expect(monthRange('2026-11', '2027-02')).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(monthRange('2027-02', '2026-11')).toEqual([]);
  });

  it('takes the month of an instant in UTC, not in China time', () => {
    expect(monthOf(new Date('2026-11-30T23:59:59.999Z'))).toBe('2026-11');
    // 08:00 on 1 December in Beijing is still November in UTC.
    expect(monthOf(new Date('2026-12-01T07:59:59+08:00'))).toBe('2026-11');
    expect(monthStart('2026-12')).toBe('2026-12-01 00:00:00+00');
  });

  it('names partitions and reads the month back from the name', () => {
    expect(monthPartitionName('outbox_events', '2026-03')).toBe('outbox_events_y2026m03');
    expect(monthOfPartition('outbox_events', 'outbox_events_y2026m03')).toBe('2026-03');
    expect(monthOfPartition('outbox_events', 'outbox_events_default')).toBeNull();
    expect(monthOfPartition('outbox_events', 'outbox_events_y2026m13')).toBeNull();
    expect(monthOfPartition('audit_log', 'outbox_events_y2026m03')).toBeNull();
    expect(() => monthPartitionName('audit_log', '2026-3')).toThrow(/not a month/);
  });

  it('makes this month and the next two ahead', () => {
    expect(comingMonths(new Date('2026-11-15T00:00:00Z'))).toEqual(['2026-11', '2026-12', '2027-01']);
  });

  it('archives before the retention cut-off, or an earlier month asked for, never a later one', () => {
    const now = new Date('2026-12-06T00:00:00Z');
    expect(archiveCutoff(now, 3)).toBe('2026-09');
    expect(archiveCutoff(now, 0)).toBe('2026-12');
    expect(archiveCutoff(now, 3, '2026-06')).toBe('2026-06');
    expect(archiveCutoff(now, 3, '2026-11')).toBe('2026-09');
    expect(archiveCutoff(now, 0, '2027-02')).toBe('2026-12');
  });
});
