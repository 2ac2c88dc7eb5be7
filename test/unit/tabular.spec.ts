import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import type { Readable } from 'node:stream';
import { attachmentDisposition, negotiateTabularFormat, safeFileName } from '../../src/common/tabular/tabular-format';
import { csvRecord, startedIterable, tabularStream, type Cell } from '../../src/common/tabular/tabular-stream';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe('negotiateTabularFormat', () => {
  it.each([
    [undefined, 'csv'],
    ['', 'csv'],
    ['*/*', 'csv'],
    ['text/csv', 'csv'],
    ['text/*', 'csv'],
    [XLSX, 'xlsx'],
    ['application/*', 'xlsx'],
    [`text/csv;q=0.4, ${XLSX};q=0.5`, 'xlsx'],
    [`${XLSX}, text/csv`, 'csv'],
    ['text/csv;q=0, */*', 'xlsx'],
    [`${XLSX};q=0, */*;q=0.1`, 'csv'],
    ['TEXT/CSV', 'csv'],
    ['garbage', 'csv'],
    ['application/json', null],
    ['text/html, application/json;q=0.9', null],
    ['text/csv;q=0', null],
    [`text/csv;q=0, ${XLSX};q=0`, null],
    [['application/json', 'text/csv'], 'csv'],
  ])('%j → %s', (accept, format) => {
    expect(negotiateTabularFormat(accept as string | string[] | undefined)).toBe(format);
  });
});

describe('attachmentDisposition', () => {
  it('a plain ASCII name: filename only', () => {
    expect(attachmentDisposition('brand statistics 2026-12-06.csv', 'x.csv')).toBe('attachment; filename="brand statistics 2026-12-06.csv"');
  });

  it('a Chinese name: the ASCII fallback and filename* in UTF-8, percent-encoded (RFC 8187)', () => {
    const header = attachmentDisposition('徐汇AI训练师 学员名册.csv', 'trainees-1.csv');
    expect(header).toBe(`attachment; filename="trainees-1.csv"; filename*=UTF-8''%E5%BE%90%E6%B1%87AI%E8%AE%AD%E7%BB%83%E5%B8%88%20%E5%AD%A6%E5%91%98%E5%90%8D%E5%86%8C.csv`);
  });

  it('characters no file name may hold are replaced; quotes, backslashes, controls and % never reach the quoted form', () => {
    expect(safeFileName('a/b\\c:d*e?f"g<h>i|j\u0007k')).toBe('a_b_c_d_e_f_g_h_i_j_k');
    expect(attachmentDisposition('100% "done"\r\n.csv', 'fallback.csv')).toBe(`attachment; filename="fallback.csv"; filename*=UTF-8''100%25%20_done_.csv`);
    expect(attachmentDisposition('名单.csv', '名单"x".csv')).toBe(`attachment; filename="___x_.csv"; filename*=UTF-8''%E5%90%8D%E5%8D%95.csv`);
  });
});

describe('csvRecord', () => {
  it('quotes what needs quoting, leaves the rest, ends records with CRLF', () => {
    expect(csvRecord(['a', 'b,c', 'd"e', 'f\ng', null, 12.5, ''])).toBe('a,"b,c","d""e","f\ng",,12.5,\r\n');
  });

  it('text a spreadsheet would run as a formula gets an apostrophe; numbers do not', () => {
    expect(csvRecord(['=1+1', '+86', '-x', '@SUM(A1)', '\tx', -5, 'a=b'])).toBe(`'=1+1,'+86,'-x,'@SUM(A1),'\tx,-5,a=b\r\n`);
  });
});

/** A source of `batches` batches of 1,000 rows that counts how many were asked for. */
function countingSource(batches: number): { pulled: () => number; done: () => boolean; iterable: AsyncIterable<Cell[][]> } {
  let pulled = 0;
  let finished = false;
  return {
    pulled: () => pulled,
    done: () => finished,
    iterable: {
      async *[Symbol.asyncIterator]() {
        try {
          for (let b = 0; b < batches; b++) {
            pulled++;
            await new Promise((r) => setImmediate(r));
            yield Array.from({ length: 1000 }, (_, i) => [`${b}-${i}`, '张伟', '310104********002X', b * 1000 + i, 'registered', '2026-12-06T00:00:00.000Z']);
          }
        } finally {
          finished = true;
        }
      },
    },
  };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(['csv', 'xlsx'] as const)('tabularStream (%s)', (format) => {
  const header = ['id', 'fullName', 'nationalIdMasked', 'n', 'status', 'registeredAt'];

  it('back-pressure: with nobody reading, the source is asked for a few batches only', async () => {
    const source = countingSource(100);
    const stream = tabularStream(format, { header, batches: source.iterable, sheetName: 'Trainees' });
    // Start the flow, then stop reading.
    stream.once('data', () => stream.pause());
    await sleep(400);
    expect(source.pulled()).toBeLessThan(format === 'csv' ? 5 : 30);
    // Reading again drains it all.
    stream.resume();
    await collect(stream);
    expect(source.pulled()).toBe(100);
  });

  it('a client gone away ends the source', async () => {
    const source = countingSource(100);
    const stream = tabularStream(format, { header, batches: source.iterable, sheetName: 'Trainees' });
    // Once rows are flowing (the first chunk may be the heading alone).
    let chunks = 0;
    stream.on('data', () => ++chunks === 3 && stream.destroy());
    await sleep(300);
    expect(source.pulled()).toBeGreaterThan(0);
    expect(source.done()).toBe(true);
    expect(source.pulled()).toBeLessThan(30);
  });

  it('a failure of the source destroys the stream with it: no file that looks whole', async () => {
    const failing: AsyncIterable<Cell[][]> = {
      async *[Symbol.asyncIterator]() {
        yield [['1', 'a', null, 1, 'x', 'y']];
        throw new Error('connection lost');
      },
    };
    await expect(collect(tabularStream(format, { header, batches: failing, sheetName: 'S' }))).rejects.toThrow('connection lost');
  });

  it('writes what it is given', async () => {
    const bytes = await collect(tabularStream(format, { header, batches: countingSource(3).iterable, sheetName: '学员名册' }));
    let rows: unknown[][];
    if (format === 'csv') {
      expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      rows = parse(bytes, { bom: true });
    } else {
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
      expect(workbook.worksheets[0].name).toBe('学员名册');
      rows = [];
      workbook.worksheets[0].eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    }
    expect(rows).toHaveLength(3001);
    expect(rows[0]).toEqual(header);
    expect(rows[2001]).toEqual(['2-0', '张伟', '310104********002X', format === 'csv' ? '2000' : 2000, 'registered', '2026-12-06T00:00:00.000Z']);
  });
});

describe('startedIterable', () => {
  it('reads the first item at once, so that its failure surfaces before anything is sent', async () => {
    const failing: AsyncIterable<number> = {
      // eslint-disable-next-line require-yield
      async *[Symbol.asyncIterator]() {
        throw new Error('database down');
      },
    };
    await expect(startedIterable(failing)).rejects.toThrow('database down');
    const items: number[] = [];
    for await (const n of await startedIterable((async function* () { yield* [1, 2, 3]; })())) items.push(n);
    expect(items).toEqual([1, 2, 3]);
  });
});
