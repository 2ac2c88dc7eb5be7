import { uuidV7 } from '../../src/common/identifiers/uuid-v7';

describe('uuidV7', () => {
  it('is a version 7, RFC 9562 variant UUID carrying the time in milliseconds', () => {
    const id = uuidV7(Date.UTC(2026, 11, 6, 8, 0, 0));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 11, 6, 8, 0, 0));
  });

  it('sorts in the order the ids were made, across milliseconds, and never repeats', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => uuidV7(1_800_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 10_000 }, () => uuidV7())).size).toBe(10_000);
  });
});
