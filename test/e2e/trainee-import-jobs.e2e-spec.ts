import type { ChildProcess } from 'node:child_process';
import * as iconv from 'iconv-lite';
import { createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { deleteRedisPrefix, waitFor } from '../support/events';
import { expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { xlsxOf, XLSX } from '../support/rosters';
import { Response, startTestApp, TestApp } from '../support/test-app';
import { WorkerChildren } from '../support/worker-children';
import { uniqueNationalId } from '../support/trainees';

const badChecksum = (): string => {
  const id = uniqueNationalId();
  return id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
};
/** A CSV of `valid` good rows with a bad identity number every `badEvery` rows (extra rows). */
function rosterCsv(valid: number, badEvery = 0): { csv: string; ids: string[]; bad: number } {
  const lines = ['姓名,身份证号,手机号,重点群体,期望月薪（元）'];
  const ids: string[] = [];
  let bad = 0;
  for (let i = 0; i < valid; i++) {
    const id = uniqueNationalId(i % 2 ? 'male' : 'female');
    ids.push(id);
    lines.push(`学员${i},${id},138${String(i % 1e8).padStart(8, '0')},高校毕业生,"8,000"`);
    if (badEvery && i % badEvery === 0) {
      lines.push(`坏行${i},${badChecksum()},,,`);
      bad++;
    }
  }
  return { csv: lines.join('\r\n') + '\r\n', ids, bad };
}

/**
 * Import jobs (API.md, Import jobs): the API process here runs no worker; worker-role child processes do, so that
 * one can be killed mid-import.
 */
describe('trainee import jobs', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let otherFirm: OrgWithKey;
  let brand: any;
  const workers = new WorkerChildren('import-worker-child.ts');

  beforeAll(async () => {
    t = await startTestApp();
    const bureau = await createOrganization(t, 'bureau', '310100');
    [firm, otherFirm] = await Promise.all([createOrganization(t, 'hr_firm', '310104'), createOrganization(t, 'hr_firm', '310110')]);
    brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
  });
  afterAll(async () => {
    await workers.killAll();
    await t?.close();
    if (t) await deleteRedisPrefix(t.config.redisUrl, t.config.redisPrefix).catch(() => undefined);
  });

  /** A worker-role process on the test's database and Redis prefix; resolves once it runs. */
  const startWorker = (): Promise<ChildProcess> =>
    workers.start(t, {
      DATABASE_POOL_SIZE: '5',
      METRICS_PORT: '0',
    });

  const upload = (raw: string | Buffer, contentType: string, options: { brandId?: string; key?: string; query?: string; headers?: Record<string, string> } = {}): Promise<Response> =>
    t.request('POST', `/v1/brands/${options.brandId ?? brand.id}/trainee-imports${options.query ?? ''}`, { key: options.key ?? firm.key, raw, contentType, headers: options.headers });
  const status = async (id: string, language = 'en'): Promise<any> => {
    const res = await t.request('GET', `/v1/trainee-imports/${id}`, { key: firm.key, headers: { 'accept-language': language } });
    expect(res.status).toBe(200);
    return res.body;
  };
  const ended = async (id: string, timeoutMs = 60_000): Promise<any> => {
    let last: any;
    await waitFor(`import ${id} to end`, async () => ['succeeded', 'failed', 'cancelled'].includes((last = await status(id)).status), timeoutMs, 100);
    return last;
  };
  const chunks = async (id: string): Promise<Buffer[]> => (await t.dataSource.query(`SELECT cipher FROM trainee_import_chunks WHERE import_id = $1 ORDER BY position`, [id])).map((r: any) => r.cipher);
  const brandCount = async (brandId = brand.id): Promise<number> => (await t.dataSource.query(`SELECT count(*)::int AS n FROM trainees WHERE brand_id = $1`, [brandId]))[0].n;

  it('stores the file encrypted and answers 202 with Location before any row is read; only the operator sees it', async () => {
    const { csv, ids } = rosterCsv(3);
    const res = await upload(iconv.encode(csv, 'gb18030'), 'text/csv', { query: '?fileName=%E5%90%8D%E5%8D%95.csv' });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v1/trainee-imports/${res.body.id}`);
    expect(res.body).toMatchObject({ status: 'queued', format: 'csv', encoding: null, fileName: '名单.csv', progress: 0, received: 0, created: 0, failure: null, startedAt: null });
    const stored = Buffer.concat(await chunks(res.body.id));
    expect(stored.length).toBeGreaterThan(0);
    for (const id of ids) expect(stored.includes(Buffer.from(id))).toBe(false);
    expect(stored.includes(iconv.encode('学员0', 'gb18030'))).toBe(false);
    // Another firm: 404 (not its brand's import), for reads, cancel and the report alike.
    for (const [method, path] of [['GET', ''], ['POST', '/cancel'], ['GET', '/errors']] as const) {
      expectProblem(await t.request(method, `/v1/trainee-imports/${res.body.id}${path}`, { key: otherFirm.key }), 404, 'NOT_FOUND');
    }
    expectProblem(await upload(csv, 'text/csv', { key: otherFirm.key }), 403, 'FORBIDDEN');
    expectProblem(await upload(csv, 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('beyond 1,000,000 rows: 413 PAYLOAD_TOO_LARGE, nothing stored', async () => {
    const before = (await t.dataSource.query(`SELECT count(*)::int AS n FROM trainee_imports`))[0].n;
    expectProblem(await upload(`姓名,身份证号\n${'\n'.repeat(1_000_002)}`, 'text/csv'), 413, 'PAYLOAD_TOO_LARGE');
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM trainee_imports`))[0].n).toBe(before);
  });

  describe('with a worker', () => {
    beforeAll(async () => {
      await startWorker();
    }, 60_000);

    it('runs the queued import: GB18030 read, counters, progress 1, file deleted; the list shows it', async () => {
      const [first] = (await t.request('GET', `/v1/brands/${brand.id}/trainee-imports`, { key: firm.key })).body.items;
      const done = await ended(first.id);
      expect(done).toMatchObject({ status: 'succeeded', encoding: 'gb18030', progress: 1, received: 3, created: 3, duplicates: 0, rejected: 0, failure: null });
      expect(done.startedAt).not.toBeNull();
      expect(await chunks(first.id)).toEqual([]);
      const list = await t.request('GET', `/v1/brands/${brand.id}/trainee-imports?limit=1`, { key: firm.key });
      expect(list.body.items[0].id).toBe(first.id);
    });

    it('an .xlsx with Chinese headers, numeric ID cells and bad rows: the error report lists every error, in the language asked, without IDs or phones', async () => {
      const good = [uniqueNationalId(), uniqueNationalId()];
      const bad = badChecksum();
      const numeric = uniqueNationalId();
      const file = await xlsxOf([
        ['姓名', '身份证号码', '联系电话', '人员类别', '培训批次'],
        ['赵敏', good[0], 13812340001, '退役军人', '一期'],
        ['周芷若', bad, '13812340002', null, null],
        ['殷离', Number(numeric.slice(0, 17)) * 10, 13812340003, null, null],
        ['小昭', good[1], '12345', null, null],
        ['张无忌', good[1].toLowerCase(), null, '大学生', null],
      ]);
      const res = await upload(file, XLSX);
      expect(res.status).toBe(202);
      const done = await ended(res.body.id);
      expect(done).toMatchObject({ status: 'succeeded', format: 'xlsx', received: 5, created: 1, rejected: 4 });

      const zh = await t.request('GET', `/v1/trainee-imports/${res.body.id}/errors`, { key: firm.key, headers: { 'accept-language': 'zh-CN' } });
      expect(zh.status).toBe(200);
      expect(zh.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(zh.headers['content-disposition']).toMatch(/^attachment; filename=".*errors\.csv"$/);
      expect(zh.text.startsWith('\uFEFFrow,field,code,message\r\n')).toBe(true);
      const lines = zh.text.slice(1).trim().split('\r\n');
      expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
        '2,nationalId,INVALID_NATIONAL_ID',
        '3,nationalId,INVALID_NATIONAL_ID',
        '4,phone,INVALID_PHONE',
        '5,targetGroups,INVALID_TARGET_GROUP',
      ]);
      expect(lines[2]).toMatch(/文本/);
      const en = await t.request('GET', `/v1/trainee-imports/${res.body.id}/errors`, { key: firm.key, headers: { 'accept-language': 'en' } });
      expect(en.text).toMatch(/format the column as text/);
      for (const value of [bad, numeric, numeric.slice(0, 15), good[0], good[1], '13812340002', '12345']) {
        expect(zh.text).not.toContain(value);
        expect(en.text).not.toContain(value);
      }
    });

    it('an unreadable file is accepted and ends failed INVALID_IMPORT_FILE, nothing written', async () => {
      const before = await brandCount();
      const header = await upload(`籍贯,身份证号\n上海,${uniqueNationalId()}\n`, 'text/csv');
      expect(header.status).toBe(202);
      const failed = await ended(header.body.id);
      expect(failed).toMatchObject({ status: 'failed', created: 0, failure: { code: 'INVALID_IMPORT_FILE' } });
      expect((await status(header.body.id, 'zh-CN')).failure.message).toMatch(/标题行/);
      // Readable rows first, then a broken byte at the end of a file declared UTF-8: still nothing written.
      const { csv } = rosterCsv(3000);
      const broken = await upload(Buffer.concat([Buffer.from(csv), Buffer.from([0xff, 0xfe, 0x0a])]), 'text/csv; charset=utf-8');
      expect(await ended(broken.body.id)).toMatchObject({ status: 'failed', created: 0, received: 0, failure: { code: 'INVALID_IMPORT_FILE' } });
      const notXlsx = await upload('not a workbook', XLSX);
      expect(await ended(notXlsx.body.id)).toMatchObject({ status: 'failed', failure: { code: 'INVALID_IMPORT_FILE' } });
      expect(await brandCount()).toBe(before);
      expect(await chunks(broken.body.id)).toEqual([]);
    });

    it('progress and counters move at least once a second while running; cancel stops it and keeps what was written', async () => {
      const { csv } = rosterCsv(60_000, 1000);
      const res = await upload(csv, 'text/csv');
      const seen: Array<{ at: number; created: number; progress: number; status: string }> = [];
      await waitFor('the import to run', async () => {
        const s = await status(res.body.id);
        seen.push({ at: Date.now(), created: s.created, progress: s.progress, status: s.status });
        // Until progress was seen at two values while running: a fast import may pass 10,000 rows between two looks.
        const progressSeen = new Set(seen.filter((x) => x.status === 'running' && x.progress > 0).map((x) => x.progress));
        return s.status === 'running' && s.created >= 10_000 && progressSeen.size > 1;
      }, 60_000, 200);
      const running = seen.filter((s) => s.status === 'running' && s.progress > 0);
      for (let i = 1; i < running.length; i++) {
        if (running[i].at - running[i - 1].at < 200) continue;
        // Between two looks far enough apart, the import moved: its progress always (the first pass, which checks
        // the file, moves it by bytes read and creates nothing yet), and `created` once writing began. Counters move
        // with each committed batch (every 250 ms of reading); 5 s leaves room for one batch's commit on a busy CI
        // machine (four test files at once on two cores), where 2,000 rows with their triggers took over 2.5 s once,
        // at the step from the file check to the first write. On an idle machine they move several times a second.
        const later = running.find((s) => s.at - running[i - 1].at >= 5000);
        if (!later) continue;
        expect(later.progress).toBeGreaterThan(running[i - 1].progress);
        if (running[i - 1].created > 0) expect(later.created).toBeGreaterThan(running[i - 1].created);
      }
      expect(new Set(running.map((s) => s.progress)).size).toBeGreaterThan(1);

      const cancelled = await t.request('POST', `/v1/trainee-imports/${res.body.id}/cancel`, { key: firm.key });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      await new Promise((r) => setTimeout(r, 1500));
      const after = await status(res.body.id);
      expect(after.status).toBe('cancelled');
      expect(after.created).toBeLessThan(60_000);
      expect(after.created).toBeGreaterThanOrEqual(cancelled.body.created);
      expect(await chunks(res.body.id)).toEqual([]);
      expectProblem(await t.request('POST', `/v1/trainee-imports/${res.body.id}/cancel`, { key: firm.key }), 409, 'INVALID_TRANSITION');
      // What the counters say was written is what is in the brand (this brand's other imports are done).
      const [{ n }] = await t.dataSource.query(`SELECT coalesce(sum(created), 0)::int AS n FROM trainee_imports WHERE brand_id = $1`, [brand.id]);
      expect(await brandCount()).toBe(n);
    }, 120_000);

    it('a worker killed mid-import: another resumes, nothing lost or written twice', async () => {
      const target = await createCertifiedBrand(t, firm.key, (await createOrganization(t, 'bureau', '310100')).key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '断点续传品牌' });
      // Large enough that the import cannot finish between the look that sees its first batches and the kill, even
      // on a loaded machine (60,000 rows once did: ~6 s of work).
      const rows = 180_000;
      const { csv, bad } = rosterCsv(rows, 500);
      const res = await upload(csv, 'text/csv', { brandId: target.id });
      const victim = await startWorker();
      // Both workers run; whichever holds it, kill processes until the import has moved and its holder is gone.
      await waitFor('the first batches to be written', async () => (await status(res.body.id)).created >= 2000, 60_000, 50);
      await workers.killAll();
      expect(victim.signalCode).toBe('SIGKILL');
      const stopped = await status(res.body.id);
      expect(stopped.status).toBe('running');
      await startWorker();
      const done = await ended(res.body.id, 150_000);
      expect(done).toMatchObject({ status: 'succeeded', received: rows + bad, created: rows, duplicates: 0, rejected: bad, progress: 1 });
      expect(await brandCount(target.id)).toBe(rows);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM trainee_import_errors WHERE import_id = $1`, [res.body.id]);
      expect(n).toBe(bad);
    }, 240_000);
  });
});

