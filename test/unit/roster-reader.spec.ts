import * as iconv from 'iconv-lite';
import { decodeCsv, readRoster, sniffEncoding, SNIFF_BYTES } from '../../src/trainees/import/roster-reader';

async function text(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

/** The bytes cut into pieces of `size`, as a stream would deliver them. */
async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('roster reader: encodings', () => {
  it('tells UTF-8 (BOM or valid) from GB18030', () => {
    expect(sniffEncoding(Buffer.from('\uFEFF姓名', 'utf8'))).toBe('utf-8');
    expect(sniffEncoding(Buffer.from('姓名,身份证号', 'utf8'))).toBe('utf-8');
    expect(sniffEncoding(Buffer.from('姓名', 'utf8').subarray(0, 4))).toBe('utf-8'); // a character cut at the end
    expect(sniffEncoding(iconv.encode('姓名,身份证号', 'gb18030'))).toBe('gb18030');
    expect(sniffEncoding(Buffer.from([0xff, 0xfe, 0x41, 0x00]))).toBe('utf-8');
  });

  it('decodes GB18030 across chunk boundaries inside characters, after the sniffed prefix too', async () => {
    const source = `姓名,身份证号\n${'欧阳娜娜,𠮷\n'.repeat(20_000)}`;
    const bytes = iconv.encode(source, 'gb18030');
    expect(bytes.length).toBeGreaterThan(SNIFF_BYTES);
    let seen: string | undefined;
    expect(await text(decodeCsv(pieces(bytes, 7), undefined, (e) => (seen = e)))).toBe(source);
    expect(seen).toBe('gb18030');
    expect(await text(decodeCsv(pieces(bytes, 4096), 'gb18030'))).toBe(source);
  });

  it('passes UTF-8 through untouched', async () => {
    const bytes = Buffer.from('\uFEFF姓名\n张三\n', 'utf8');
    expect((await text(decodeCsv(pieces(bytes, 1), undefined))).length).toBe('\uFEFF姓名\n张三\n'.length);
  });

  it('reads rows of a GBK file with Chinese headers as register bodies', async () => {
    const bytes = iconv.encode('姓名,身份证号,期望月薪(元)\n张三,11010519491231002x,"1,000"\n', 'gbk');
    const rows = [];
    for await (const row of readRoster(pieces(bytes, 3), { format: 'csv' })) rows.push(row);
    expect(rows).toEqual([{ row: 1, fields: { fullName: '张三', nationalId: '11010519491231002X', expectedMonthlySalaryFen: 100000 } }]);
  });
});
