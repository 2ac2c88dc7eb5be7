import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ImportFileError,
  ImportFormat,
  ImportReadOptions,
  ImportRow,
  ImportSource,
  readImportRows,
} from '../../src/trainees/import/row-reader';
import { english, type English } from '../support/english';

const KNOWN = ['fullName', 'nationalId', 'phone', 'targetGroups', 'cohort', 'expectedMonthlySalaryFen'];
const OPTIONS: ImportReadOptions = { requiredColumns: ['fullName', 'nationalId'], knownColumns: KNOWN };
const ID = '11010519491231002X';

/**
 * Memory in use after a full garbage collection: what is retained, not garbage awaiting collection (which makes
 * heapUsed swing by a hundred MB either way). `external` counts too: large decoded strings and Buffers live
 * outside the V8 heap. Jest gives no --expose-gc; this is the usual way round that.
 */
function retainedMemory(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** What a row says, for compact assertions: the full name, or the error code. */
function summary(row: English<ImportRow>): [number, unknown] {
  return 'error' in row ? [row.row, row.error.code] : [row.row, row.fields.fullName];
}

function errorMessage(row: English<ImportRow>): string {
  if (!('error' in row)) throw new Error(`row ${row.row} has no error`);
  return row.error.message;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The body as chunks of `size` bytes, so tests can put chunk boundaries anywhere, inside characters too. */
async function* chunks(body: string | Buffer, size = Number.MAX_SAFE_INTEGER): AsyncGenerator<Buffer> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

interface Outcome {
  rows: ImportRow[];
  /** What reading threw, if anything, after yielding `rows`. */
  error?: Error;
}

async function read(
  source: ImportSource | string | Buffer,
  format: ImportFormat = 'csv',
  options: ImportReadOptions = OPTIONS,
): Promise<Outcome> {
  const input = typeof source === 'string' || Buffer.isBuffer(source) ? chunks(source) : source;
  const rows: ImportRow[] = [];
  try {
    for await (const row of readImportRows(input, format, options)) rows.push(row);
  } catch (error) {
    return { rows, error: error as Error };
  }
  return { rows };
}

async function rowsOf(source: ImportSource | string | Buffer, format: ImportFormat = 'csv', options = OPTIONS) {
  const { rows, error } = await read(source, format, options);
  if (error) throw error;
  return english(rows);
}

async function fileError(source: ImportSource | string | Buffer, format: ImportFormat = 'csv', options = OPTIONS) {
  const { rows, error } = await read(source, format, options);
  expect(error).toBeInstanceOf(ImportFileError);
  return { rows, message: (error as Error).message };
}

describe('CSV', () => {
  it('reads a header and rows, quoted fields with commas, line breaks, doubled quotes and Chinese', async () => {
    const body =
      'fullName,nationalId,phone,targetGroups,cohort\n' +
      `张伟,${ID},13812341234,graduate;veteran,2024 春季班\n` +
      `"欧阳, 娜娜",${ID},,"veteran",\n` +
      `"李""小龙""",${ID},13912345678,"graduate;\nrural_migrant","第一期，上海"\n`;
    expect(await rowsOf(body)).toEqual([
      {
        row: 1,
        fields: { fullName: '张伟', nationalId: ID, phone: '13812341234', targetGroups: 'graduate;veteran', cohort: '2024 春季班' },
      },
      {
        row: 2,
        fields: { fullName: '欧阳, 娜娜', nationalId: ID, phone: undefined, targetGroups: 'veteran', cohort: undefined },
      },
      {
        row: 3,
        fields: { fullName: '李"小龙"', nationalId: ID, phone: '13912345678', targetGroups: 'graduate;\nrural_migrant', cohort: '第一期，上海' },
      },
    ]);
  });

  it('keeps values as sent: no trimming, no type conversion', async () => {
    const rows = await rowsOf(`fullName,nationalId,expectedMonthlySalaryFen\n  张伟 ,${ID} ,0500000\n`);
    expect(rows).toEqual([{ row: 1, fields: { fullName: '  张伟 ', nationalId: `${ID} `, expectedMonthlySalaryFen: '0500000' } }]);
  });

  it('has only the header columns in fields, in any order', async () => {
    const rows = await rowsOf(`nationalId,fullName\n${ID},张伟\n`);
    expect(rows).toEqual([{ row: 1, fields: { nationalId: ID, fullName: '张伟' } }]);
    expect('fields' in rows[0] && Object.keys(rows[0].fields)).toEqual(['nationalId', 'fullName']);
  });

  it('skips a UTF-8 byte order mark (what Excel writes for "CSV UTF-8")', async () => {
    expect(await rowsOf(`\ufefffullName,nationalId\r\n张伟,${ID}\r\n`)).toEqual([{ row: 1, fields: { fullName: '张伟', nationalId: ID } }]);
  });

  it('accepts CRLF, LF and CR line endings, mixed, and a last line without one', async () => {
    const rows = await rowsOf(`fullName,nationalId\r\na,${ID}\nb,${ID}\rc,${ID}\r\nd,${ID}`);
    expect(rows.map(summary)).toEqual([[1, 'a'], [2, 'b'], [3, 'c'], [4, 'd']]);
  });

  it('skips blank lines and empty records without counting them', async () => {
    const body = `\n\nfullName,nationalId\n\na,${ID}\n\n   \n,\n , \n"",""\nb,${ID}\n\n`;
    expect(await rowsOf(body)).toEqual([
      { row: 1, fields: { fullName: 'a', nationalId: ID } },
      { row: 2, fields: { fullName: 'b', nationalId: ID } },
    ]);
  });

  it('yields nothing for a header without rows', async () => {
    expect(await rowsOf('fullName,nationalId\n')).toEqual([]);
    expect(await rowsOf('fullName,nationalId')).toEqual([]);
  });

  it('numbers rows from 1, excluding the header, counting bad rows too', async () => {
    const lines = [`fullName,nationalId`];
    for (let i = 1; i <= 50; i++) lines.push(i % 7 === 0 ? `bad ${i}` : `p${i},${ID}`);
    const rows = await rowsOf(lines.join('\n'));
    expect(rows).toHaveLength(50);
    rows.forEach((row, index) => {
      expect(row.row).toBe(index + 1);
      if ((index + 1) % 7 === 0) expect('error' in row).toBe(true);
      else expect(row).toEqual({ row: index + 1, fields: { fullName: `p${index + 1}`, nationalId: ID } });
    });
  });

  describe('a header that does not fit fails the file before any row', () => {
    it.each([
      ['a required column missing', `fullName,phone\na,${ID}\n`, /missing required column nationalId/],
      ['two required columns missing', `phone\n13812341234\n`, /missing required columns fullName, nationalId/],
      ['an unknown column', `fullName,nationalId,email\na,${ID},x\n`, /unknown column: "email"/],
      ['a duplicate column', `fullName,nationalId,fullName\na,${ID},b\n`, /'fullName' appears more than once/],
      ['an empty column name', `fullName,nationalId,\na,${ID},\n`, /column 3 has no name/],
      ['a near miss in case', `fullname,nationalId\na,${ID}\n`, /"fullname" \(did you mean "fullName"\?\)/],
      ['a near miss in spaces', `fullName, nationalId\na,${ID}\n`, /" nationalId" \(did you mean "nationalId"\?\)/],
      ['misplaced quotes', `full"Name,nationalId\na,${ID}\n`, /header row is not valid CSV/],
      ['a quote never closed', `"fullName,nationalId\na,${ID}\n`, /header row is not valid CSV/],
    ])('%s', async (_name, body, pattern) => {
      const { rows, message } = await fileError(body);
      expect(rows).toEqual([]);
      expect(message).toMatch(pattern);
      // The message lists the columns, so the uploader can fix the header without reading the docs.
      if (!/valid CSV/.test(message)) expect(message).toContain(KNOWN.join(', '));
    });

    it('reports every problem of the header at once', async () => {
      const { message } = await fileError(`fullName,fullName,foo,\n`);
      expect(message).toMatch(/missing required column nationalId/);
      expect(message).toMatch(/'fullName' appears more than once/);
      expect(message).toMatch(/column 4 has no name/);
      expect(message).toMatch(/"foo"/);
    });

    it('does not echo a heading that looks like data (a file without its header row)', async () => {
      const { message } = await fileError(`张伟,${ID},13812341234\n李娜,${ID},13912345678\n`);
      expect(message).not.toContain('张伟');
      expect(message).not.toContain(ID);
      expect(message).not.toContain('13812341234');
      expect(message).toMatch(/column 1 \(its heading is not a field name; is the header row missing\?\)/);
    });
  });

  it.each([
    ['an empty body', ''],
    ['a byte order mark only', '\ufeff'],
    ['blank lines only', '\n\r\n\n'],
  ])('fails the file for %s', async (_name, body) => {
    const { message } = await fileError(body);
    expect(message).toMatch(/empty/);
  });

  describe('malformed rows are reported with their row numbers, and reading goes on', () => {
    it('wrong number of fields, both ways', async () => {
      const rows = await rowsOf(`fullName,nationalId\na,${ID},extra\nb\nc,${ID}\n`);
      expect(rows).toEqual([
        { row: 1, error: { field: '', code: 'MALFORMED_ROW', message: 'the row has 3 fields but the header has 2 columns' } },
        { row: 2, error: { field: '', code: 'MALFORMED_ROW', message: 'the row has 1 fields but the header has 2 columns' } },
        { row: 3, fields: { fullName: 'c', nationalId: ID } },
      ]);
    });

    it('a quote inside an unquoted field, text after a closing quote, several in one row, several rows in a row', async () => {
      const body = [
        'fullName,nationalId',
        `ok1,${ID}`,
        `Li "Bruce" Xiaolong,${ID}`, // quotes in an unquoted field
        `"Li" Xiaolong,${ID}`, // text after the closing quote
        `a"b"c"d,e"f"g`, // many misplaced quotes in one record: one error
        `ok2,${ID}`,
        `x"y,${ID}`,
        `p,q"r`, // a second bad row straight after the first
        `ok3,"${ID}"`,
      ].join('\n');
      const rows = await rowsOf(body);
      expect(rows.map(summary)).toEqual([
        [1, 'ok1'],
        [2, 'MALFORMED_ROW'],
        [3, 'MALFORMED_ROW'],
        [4, 'MALFORMED_ROW'],
        [5, 'ok2'],
        [6, 'MALFORMED_ROW'],
        [7, 'MALFORMED_ROW'],
        [8, 'ok3'],
      ]);
      expect(errorMessage(rows[1])).toMatch(/quotes are misplaced/);
    });

    it('a bad closing quote does not swallow the following lines', async () => {
      const rows = await rowsOf(`fullName,nationalId\n"a"b,${ID}\nc,${ID}\n`);
      expect(rows).toEqual([
        { row: 1, error: expect.objectContaining({ code: 'MALFORMED_ROW' }) },
        { row: 2, fields: { fullName: 'c', nationalId: ID } },
      ]);
    });

    it('a quote opened and never closed, at the end of the body', async () => {
      const rows = await rowsOf(`fullName,nationalId\na,${ID}\n"b,${ID}\nc,${ID}\n`);
      expect(rows).toEqual([
        { row: 1, fields: { fullName: 'a', nationalId: ID } },
        { row: 2, error: { field: '', code: 'MALFORMED_ROW', message: expect.stringMatching(/never closed/) } },
      ]);
    });

    it('never puts the content of a row into its error message', async () => {
      const rows = await rowsOf(`fullName,nationalId\n张"伟,${ID}\n张伟,${ID},13812341234\n"张伟"x,${ID}\n"张伟,${ID}`);
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        const message = errorMessage(row);
        expect(message).not.toContain('张');
        expect(message).not.toContain(ID);
        expect(message).not.toContain('1381234');
      }
    });
  });

  describe('row length', () => {
    const small = { ...OPTIONS, maxRowBytes: 1000 };

    it('fails the file for a complete record longer than maxRowBytes (bytes of UTF-8, not characters)', async () => {
      expect(await rowsOf(`fullName,nationalId\n${'张'.repeat(300)},${ID}\n`, 'csv', small)).toHaveLength(1); // 900 + 20 bytes
      const { rows, message } = await fileError(`fullName,nationalId\na,${ID}\n${'张'.repeat(400)},${ID}\nb,${ID}\n`, 'csv', small);
      expect(rows).toEqual([{ row: 1, fields: { fullName: 'a', nationalId: ID } }]);
      expect(message).toMatch(/row 2 is longer than 1000 bytes/);
    });

    it('fails the file, without holding it in memory, when a quote left open swallows the rest of a large body', async () => {
      let pulled = 0;
      async function* endless(): AsyncGenerator<Buffer> {
        yield Buffer.from(`fullName,nationalId\na,${ID}\n"b,${ID}\n`);
        for (; pulled < 100_000; pulled++) yield Buffer.from(`c,${ID}\n`.repeat(100));
      }
      const { rows, message } = await fileError(endless(), 'csv', small);
      expect(rows).toEqual([{ row: 1, fields: { fullName: 'a', nationalId: ID } }]);
      expect(message).toMatch(/row 2 is longer than 1000 bytes.*quote left open/);
      // Gave up within a slice or so of the limit, instead of reading all 200 MB.
      expect(pulled).toBeLessThan(20);
    });

    it('fails the file for a header longer than maxRowBytes', async () => {
      const { message } = await fileError(`fullName,nationalId,${'x'.repeat(2000)}\n`, 'csv', small);
      expect(message).toMatch(/header row is longer than 1000 bytes/);
    });

    it('is not fooled by many blank lines', async () => {
      const rows = await rowsOf(`fullName,nationalId\n${'\n'.repeat(50_000)}a,${ID}\n`, 'csv', small);
      expect(rows).toEqual([{ row: 1, fields: { fullName: 'a', nationalId: ID } }]);
    });
  });

  it('gives the same rows whatever the chunk boundaries: inside characters, CRLF, quotes and BOM', async () => {
    const body =
      `\ufefffullName,nationalId,cohort\r\n张伟,${ID},"第一期,\r\n上海"\r\n"李""娜""",${ID},\r\n\r\nbad"row,${ID},x\r\n` +
      `欧阳娜娜,${ID},𠮷野家\r\n"open,${ID}`;
    const whole = await rowsOf(body);
    expect(whole).toHaveLength(5);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      expect(await rowsOf(chunks(body, size))).toEqual(whole);
    }
  });

  describe('encoding', () => {
    it('fails the file before any row when the first chunk is not UTF-8 (a GBK spreadsheet export)', async () => {
      const gbk = Buffer.concat([
        Buffer.from(`fullName,nationalId\n`),
        Buffer.from([0xd5, 0xc5, 0xce, 0xb0]), // 张伟 in GBK
        Buffer.from(`,${ID}\n`),
      ]);
      const { rows, message } = await fileError(gbk);
      expect(rows).toEqual([]);
      expect(message).toMatch(/not UTF-8/);
      expect(message).toMatch(/CSV UTF-8/);
    });

    it('recognises UTF-16', async () => {
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`fullName,nationalId\n`, 'utf16le')]);
      expect((await fileError(utf16)).message).toMatch(/UTF-16/);
    });

    it('fails the file when the body ends inside a character', async () => {
      const body = Buffer.concat([Buffer.from(`fullName,nationalId\na,${ID}\n张`), Buffer.from('伟').subarray(0, 2)]);
      expect((await fileError(body)).message).toMatch(/not UTF-8.*middle of a character/);
    });

    it('fails mid-stream when invalid UTF-8 comes after rows were yielded (the caller rolls back)', async () => {
      async function* body(): AsyncGenerator<Buffer> {
        yield Buffer.from(`fullName,nationalId\na,${ID}\nb,${ID}\n`);
        yield Buffer.from([0x62, 0xc0, 0xaf, 0x2c]); // an overlong encoding of '/': invalid
      }
      const { rows, error } = await read(body());
      // Row 2 is still with the parser, which waits to see whether its line break is a CRLF.
      expect(rows).toEqual([{ row: 1, fields: { fullName: 'a', nationalId: ID } }]);
      expect(error).toBeInstanceOf(ImportFileError);
    });
  });
});

describe('NDJSON', () => {
  it('passes values through as JSON types, numbers lines from 1 and skips blank lines', async () => {
    const body =
      `{"fullName":"张伟","nationalId":"${ID}","targetGroups":["graduate","veteran"],"expectedMonthlySalaryFen":500000}\n` +
      `\n   \n` +
      `{"fullName":"李娜","nationalId":"${ID}","phone":null,"cohort":"2024"}\r\n` +
      `{"fullName":" x ","nationalId":12345,"expectedMonthlySalaryFen":"500000"}`; // no final newline
    expect(await rowsOf(body, 'ndjson')).toEqual([
      { row: 1, fields: { fullName: '张伟', nationalId: ID, targetGroups: ['graduate', 'veteran'], expectedMonthlySalaryFen: 500000 } },
      { row: 2, fields: { fullName: '李娜', nationalId: ID, phone: null, cohort: '2024' } },
      { row: 3, fields: { fullName: ' x ', nationalId: 12345, expectedMonthlySalaryFen: '500000' } },
    ]);
  });

  it('leaves missing keys to row validation, and accepts a BOM', async () => {
    expect(await rowsOf(`\ufeff{"phone":"13812341234"}\n{}\n`, 'ndjson')).toEqual([
      { row: 1, fields: { phone: '13812341234' } },
      { row: 2, fields: {} },
    ]);
  });

  it('gives the same rows whatever the chunk boundaries: inside lines and inside characters', async () => {
    const body =
      `{"fullName":"欧阳娜娜","nationalId":"${ID}","cohort":"𠮷野家 👩‍🔧"}\r\n` +
      `not json\n\n{"fullName":"张伟","nationalId":"${ID}"}\n[1]\n{"fullName":"李娜","x":1}`;
    const whole = await rowsOf(body, 'ndjson');
    expect(whole).toHaveLength(5);
    const bytes = Buffer.from(body);
    for (const size of [1, 2, 3, 5, 7, 64]) {
      expect(await rowsOf(chunks(bytes, size), 'ndjson')).toEqual(whole);
    }
    // Every possible single split point, which covers each byte of every multi-byte character.
    for (let split = 1; split < bytes.length; split++) {
      async function* twoChunks(): AsyncGenerator<Buffer> {
        yield bytes.subarray(0, split);
        yield bytes.subarray(split);
      }
      expect(await rowsOf(twoChunks(), 'ndjson')).toEqual(whole);
    }
  });

  it('reports lines that are not JSON objects, and goes on', async () => {
    const body = [`{"fullName":"a"}`, `{"fullName":"b"`, `[{"fullName":"c"}]`, `42`, `"张伟"`, `null`, `true`, `{"fullName":"d"}`].join('\n');
    const rows = await rowsOf(body, 'ndjson');
    expect(rows).toEqual([
      { row: 1, fields: { fullName: 'a' } },
      { row: 2, error: { field: '', code: 'MALFORMED_ROW', message: 'the line is not valid JSON' } },
      { row: 3, error: { field: '', code: 'MALFORMED_ROW', message: 'the line is an array, not a JSON object' } },
      { row: 4, error: { field: '', code: 'MALFORMED_ROW', message: 'the line is a number, not a JSON object' } },
      { row: 5, error: { field: '', code: 'MALFORMED_ROW', message: 'the line is a string, not a JSON object' } },
      { row: 6, error: { field: '', code: 'MALFORMED_ROW', message: 'the line is null, not a JSON object' } },
      { row: 7, error: { field: '', code: 'MALFORMED_ROW', message: 'the line is a boolean, not a JSON object' } },
      { row: 8, fields: { fullName: 'd' } },
    ]);
  });

  it('reports unknown keys by name, but not names that look like data', async () => {
    const body = [
      `{"fullName":"a","email":"a@example.com"}`,
      `{"fullName":"b","__proto__":{"polluted":true}}`,
      `{"fullName":"c","${ID}":"x"}`,
      `{"fullName":"d","张伟":1}`,
    ].join('\n');
    const rows = await rowsOf(body, 'ndjson');
    expect(rows).toEqual([
      { row: 1, error: { field: 'email', code: 'UNKNOWN_FIELD', message: "unknown field 'email'" } },
      { row: 2, error: { field: '__proto__', code: 'UNKNOWN_FIELD', message: "unknown field '__proto__'" } },
      { row: 3, error: { field: '', code: 'UNKNOWN_FIELD', message: 'a field name is not one of the known fields' } },
      { row: 4, error: { field: '', code: 'UNKNOWN_FIELD', message: 'a field name is not one of the known fields' } },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports a line longer than maxRowBytes as a row, whole or split across chunks, and goes on', async () => {
    const options = { ...OPTIONS, maxRowBytes: 100 };
    const long = `{"fullName":"${'张'.repeat(40)}"}`; // 135 bytes, 55 characters
    const body = `{"fullName":"a"}\n${long}\n{"fullName":"b"}\n${' '.repeat(150)}\n${long}`;
    const expected = [
      { row: 1, fields: { fullName: 'a' } },
      { row: 2, error: { field: '', code: 'ROW_TOO_LONG', message: 'the line is longer than 100 bytes' } },
      { row: 3, fields: { fullName: 'b' } },
      { row: 4, error: expect.objectContaining({ code: 'ROW_TOO_LONG' }) },
      { row: 5, error: expect.objectContaining({ code: 'ROW_TOO_LONG' }) },
    ];
    for (const size of [1, 7, 50, 1000]) {
      expect(await rowsOf(chunks(body, size), 'ndjson', options)).toEqual(expected);
    }
  });

  it('drops the text of an over-long line as it arrives instead of collecting it', async () => {
    // 50 MB on one line would take 100 MB as a JS string; reading it must not.
    const before = retainedMemory();
    let peak = before;
    async function* huge(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"fullName":"');
      const block = Buffer.alloc(1024 * 1024, 'a');
      for (let i = 0; i < 50; i++) {
        yield block;
        // Measured while the line is being read, when the reader would be holding it.
        if (i % 10 === 9) peak = Math.max(peak, retainedMemory());
      }
      yield Buffer.from('"}\n{"fullName":"b"}\n');
    }
    const rows = await rowsOf(huge(), 'ndjson');
    expect(rows).toEqual([
      { row: 1, error: expect.objectContaining({ code: 'ROW_TOO_LONG' }) },
      { row: 2, fields: { fullName: 'b' } },
    ]);
    console.log(`NDJSON, one 50 MB line: retained memory growth ${mb(peak - before)}`);
    // Holding the line would retain 100 MB (two bytes per character); the reader keeps about one chunk.
    expect(peak - before).toBeLessThan(25 * 1024 * 1024);
  });

  it.each([
    ['an empty body', ''],
    ['blank lines only', '\n  \r\n\n'],
  ])('fails the file for %s', async (_name, body) => {
    expect((await fileError(body, 'ndjson')).message).toMatch(/empty/);
  });

  it('fails the file for invalid UTF-8', async () => {
    const { rows, message } = await fileError(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d, 0x0a]), 'ndjson');
    expect(rows).toEqual([]);
    expect(message).toMatch(/not UTF-8/);
  });
});

describe('sources and streaming', () => {
  const body = `fullName,nationalId\na,${ID}\nb,${ID}\n`;
  const expected = [
    { row: 1, fields: { fullName: 'a', nationalId: ID } },
    { row: 2, fields: { fullName: 'b', nationalId: ID } },
  ];

  it('reads a Node stream, string chunks and Uint8Array chunks', async () => {
    expect(await rowsOf(Readable.from([Buffer.from(body)]))).toEqual(expected);
    expect(await rowsOf(Readable.from(body.split(/(?<=\n)/)))).toEqual(expected);
    async function* uint8(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(Buffer.from(body));
    }
    expect(await rowsOf(uint8())).toEqual(expected);
  });

  it.each(['csv', 'ndjson'] as const)('%s: pulls a chunk only when rows are asked for, and releases the source when the reader stops', async (format) => {
    let pulled = 0;
    let released = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        if (format === 'csv') yield Buffer.from('fullName,nationalId\n');
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield Buffer.from(format === 'csv' ? `p${i},${ID}\n` : `{"fullName":"p${i}"}\n`);
        }
      } finally {
        released = true;
      }
    }
    const rows = readImportRows(source(), format, OPTIONS);
    const first = await rows.next();
    expect(first.value).toEqual(expect.objectContaining({ row: 1 }));
    expect(pulled).toBeLessThanOrEqual(2);
    await rows.return(undefined);
    expect(released).toBe(true);
  });

  it('rejects inconsistent options at the call', () => {
    const source = chunks('');
    expect(() => readImportRows(source, 'csv', { ...OPTIONS, maxRowBytes: 0 })).toThrow(RangeError);
    expect(() => readImportRows(source, 'csv', { requiredColumns: ['x'], knownColumns: ['y'] })).toThrow(/required columns must be known/);
    expect(() => readImportRows(source, 'xml' as 'csv', OPTIONS)).toThrow(RangeError);
  });
});

describe('volume', () => {
  const ROWS = 200_000;

  /** Generates the body as it is read, so the test itself holds no more than one chunk of it. */
  async function* generated(format: ImportFormat): AsyncGenerator<Buffer> {
    if (format === 'csv') yield Buffer.from('fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen\r\n');
    const perChunk = 500;
    for (let start = 0; start < ROWS; start += perChunk) {
      let text = '';
      for (let i = start; i < start + perChunk; i++) {
        text +=
          format === 'csv'
            ? `"张伟${i}",${ID},13812341234,graduate;veteran,"2024 春季班, 上海",${500000 + i}\r\n`
            : `{"fullName":"张伟${i}","nationalId":"${ID}","phone":"13812341234","targetGroups":["graduate","veteran"],"cohort":"2024 春季班, 上海","expectedMonthlySalaryFen":${500000 + i}}\n`;
      }
      yield Buffer.from(text);
    }
  }

  it.each(['csv', 'ndjson'] as const)('streams %s rows with flat memory (rate and memory printed, not asserted)', async (format) => {
    const heapBefore = retainedMemory();
    const rssBefore = process.memoryUsage().rss;
    let peakHeap = heapBefore;
    let peakRss = rssBefore;
    let count = 0;
    let gcTime = 0n;
    const started = process.hrtime.bigint();
    for await (const row of readImportRows(generated(format), format, OPTIONS)) {
      if ('error' in row) throw new Error(`row ${row.row}: ${row.error.message}`);
      count++;
      if (count % 40_000 === 0) {
        const gcStarted = process.hrtime.bigint();
        peakHeap = Math.max(peakHeap, retainedMemory());
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        gcTime += process.hrtime.bigint() - gcStarted;
      }
    }
    const seconds = Number(process.hrtime.bigint() - started - gcTime) / 1e9;
    expect(count).toBe(ROWS);
    console.log(
      `${format}: ${ROWS} rows in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds)} rows/s (under Jest); ` +
        `retained memory growth ${mb(peakHeap - heapBefore)}, peak RSS growth ${mb(peakRss - rssBefore)}`,
    );
  });
});
