import { countLineBreaks, importChunkContext, importProgress, isUnfinished } from '../../src/trainees/imports/trainee-import.rules';

describe('import job rules', () => {
  it('knows which imports still have work to do', () => {
    expect(['queued', 'running'].every((s) => isUnfinished(s as 'queued'))).toBe(true);
    expect(['succeeded', 'failed', 'cancelled'].some((s) => isUnfinished(s as 'failed'))).toBe(false);
  });

  it('reports progress as rows done of the rows counted, 1 once succeeded, never above 1', () => {
    expect(importProgress('queued', 0, null)).toBe(0);
    expect(importProgress('running', 500, null)).toBe(0);
    expect(importProgress('running', 250, 1000)).toBe(0.25);
    expect(importProgress('running', 2, 3)).toBe(0.666);
    expect(importProgress('running', 1200, 1000)).toBe(1);
    expect(importProgress('succeeded', 0, 0)).toBe(1);
    expect(importProgress('cancelled', 100, 1000)).toBe(0.1);
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
