import { countLineBreaks, importChunkContext, importProgress, isUnfinished } from '../../src/trainees/imports/trainee-import.rules';

describe('import job rules', () => {
  it('knows which imports still have work to do', () => {
    expect(['queued', 'running'].every((s) => isUnfinished(s as 'queued'))).toBe(true);
    expect(['succeeded', 'failed', 'cancelled'].some((s) => isUnfinished(s as 'failed'))).toBe(false);
  });

  it('reports progress through the check (bytes read) then the writing (rows done), 1 once succeeded, never above 1', () => {
    const p = (checkedBytes: number, rowsDone: number, totalRows: number | null) => ({ checkedBytes, bytes: 1000, rowsDone, totalRows });
    expect(importProgress('queued', p(0, 0, null))).toBe(0);
    expect(importProgress('running', p(500, 0, null))).toBe(0.05);
    expect(importProgress('running', p(1000, 0, 400))).toBe(0.1);
    expect(importProgress('running', p(1000, 200, 400))).toBe(0.55);
    expect(importProgress('running', p(1000, 1, 3))).toBe(0.4);
    expect(importProgress('running', p(1000, 500, 400))).toBe(1);
    expect(importProgress('running', { checkedBytes: 0, bytes: 0, rowsDone: 0, totalRows: null })).toBe(0);
    expect(importProgress('succeeded', p(0, 0, 0))).toBe(1);
    expect(importProgress('cancelled', p(1000, 100, 1000))).toBe(0.19);
  });

  it('names each chunk by import and position, so chunks cannot be swapped', () => {
    expect(importChunkContext('a', 0)).not.toBe(importChunkContext('a', 1));
    expect(importChunkContext('a', 1)).not.toBe(importChunkContext('b', 1));
  });

  it('counts line breaks', () => {
    expect(countLineBreaks(Buffer.from('a\nb\r\nc'))).toBe(2);
    expect(countLineBreaks(Buffer.alloc(0))).toBe(0);
  });
});
