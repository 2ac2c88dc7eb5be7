/**
 * Key rotation as an operator does it: a new key put first, `npm run pii:reencrypt` while the service runs (stopped
 * half-way and run again), then the old key removed — after which everything still reads.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { ENCRYPTED_TABLES, parseArgs, reencryptAll } from '../../src/cli/pii-reencrypt';
import type { PiiCipher } from '../../src/common/crypto/pii-cipher';
import { PII_CIPHER } from '../../src/common/crypto/pii.provider';
import { countStale, reencryptBatch, valuesByKey } from '../../src/database/ciphertexts';
import { TRAINEE_CIPHERTEXTS } from '../../src/trainees/trainees.fragments';
import { createCertifiedBrand } from '../support/brands';
import { testRedisUrl } from '../support/database-urls';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee, uniqueNationalId } from '../support/trainees';

const key = (): string => randomBytes(32).toString('base64');
const OLD = `old:${key()}`;
const NEW = `new:${key()}`;
const HMAC = key();

describe('npm run pii:reencrypt', () => {
  let before: TestApp;
  let firm: OrgWithKey;
  let brandId: string;
  const trainees: Array<{ id: string; phone: string | null }> = [];
  const replay = { idempotencyKey: randomUUID(), body: {} as Record<string, unknown>, response: '' };

  beforeAll(async () => {
    before = await startTestApp({ PII_ENCRYPTION_KEYS: OLD, PII_HMAC_KEY: HMAC });
    firm = await createOrganization(before, 'hr_firm', '310104');
    const bureau = await createOrganization(before, 'bureau', '310000');
    brandId = (await createCertifiedBrand(before, firm.key, bureau.key)).id;
    for (let i = 0; i < 9; i++) {
      const phone = i === 4 ? null : `1381234${String(1000 + i)}`;
      trainees.push({ id: (await registerTrainee(before, firm.key, brandId, { phone })).id, phone });
    }
    replay.body = { fullName: '李娜', nationalId: uniqueNationalId(), phone: '13900001111', targetGroups: [], expectedMonthlySalaryFen: null };
    const first = await before.request('POST', `/v1/brands/${brandId}/trainees`, { key: firm.key, body: replay.body, headers: { 'idempotency-key': replay.idempotencyKey } });
    expect(first.status).toBe(201);
    replay.response = first.text;
  });
  afterAll(async () => before?.close());

  /** The same database and Redis prefix, another configuration: an instance restarted with other keys. */
  const restarted = (keys: string): Promise<TestApp> =>
    startTestApp({ PII_ENCRYPTION_KEYS: keys, PII_HMAC_KEY: HMAC, BOOTSTRAP_ADMIN_KEY: before.platformKey }, { databaseUrl: before.databaseUrl });

  it('moves every value to the new key, resumably and alongside live writes; the old key can then go', async () => {
    const rotating = await restarted(`${NEW},${OLD}`);
    try {
      const cipher = rotating.app.get<PiiCipher>(PII_CIPHER);
      const [stored] = await rotating.dataSource.query(`SELECT count(national_id_cipher)::int + count(phone_cipher)::int AS n FROM trainees`);
      expect(await valuesByKey(rotating.dataSource, TRAINEE_CIPHERTEXTS)).toEqual({ old: stored.n });
      const idempotency = ENCRYPTED_TABLES.find((t) => t.table === 'idempotency_keys')!;
      expect(await countStale(rotating.dataSource, idempotency, cipher)).toBeGreaterThan(0);

      // A first run stopped after one batch of two rows…
      const first = await reencryptBatch(rotating.dataSource, TRAINEE_CIPHERTEXTS, cipher, null, 2);
      expect(first.rewritten).toBe(2);
      expect(await countStale(rotating.dataSource, TRAINEE_CIPHERTEXTS, cipher)).toBe(10 - 2);

      // …and a second, in small batches, while the operator edits phones: no edit is lost, nothing is left behind.
      const edits = trainees.filter((_, i) => i % 3 === 0).map((trainee, i) => ({ ...trainee, phone: `1370000${String(2000 + i)}` }));
      const lines: string[] = [];
      const [left, ...answers] = await Promise.all([
        reencryptAll(rotating.dataSource, cipher, 1, (line) => lines.push(line)),
        ...edits.map((e) => rotating.request('PATCH', `/v1/trainees/${e.id}`, { key: firm.key, body: { phone: e.phone } })),
      ]);
      expect(answers.map((a) => a.status)).toEqual(edits.map(() => 200));
      for (const e of edits) trainees.find((t) => t.id === e.id)!.phone = e.phone;
      expect(left).toBe(0);
      expect(lines.join('\n')).toMatch(/^trainees: \d+ rows re-encrypted in \d+ ms; 0 left under other keys$/m);
      // Every table's values are under the new key (a table may hold none: import files exist only while an import runs).
      for (const table of ENCRYPTED_TABLES) expect(Object.keys(await valuesByKey(rotating.dataSource, table)).filter((key) => key !== 'new')).toEqual([]);
      const keyIds = await rotating.dataSource.query(`SELECT DISTINCT pii_key_id FROM trainees WHERE national_id_cipher IS NOT NULL`);
      expect(keyIds).toEqual([{ pii_key_id: 'new' }]);
    } finally {
      await rotating.close();
    }

    // The old key removed: every number, phone and stored response still reads.
    const after = await restarted(NEW);
    try {
      for (const trainee of trainees) {
        const res = await after.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key });
        expect(res.status).toBe(200);
        expect(res.body.phone).toBe(trainee.phone);
      }
      const again = await after.request('POST', `/v1/brands/${brandId}/trainees`, { key: firm.key, body: replay.body, headers: { 'idempotency-key': replay.idempotencyKey } });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(replay.response);
      const lookup = await after.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId: replay.body.nationalId } });
      expect(lookup.status).toBe(200);
      expect(JSON.stringify(lookup.body)).toContain(JSON.parse(replay.response).id);
    } finally {
      await after.close();
    }
  });

  it('reads its arguments, and explains itself on a wrong one', () => {
    expect(parseArgs([])).toEqual({ batch: 500, check: false });
    expect(parseArgs(['--batch', '50', '--check'])).toEqual({ batch: 50, check: true });
    for (const wrong of [['--batch', 'lots'], ['--batch', '0'], ['--force']]) expect(() => parseArgs(wrong)).toThrow(/usage: npm run pii:reencrypt/);
  });

  it('the command itself: runs, reports values by key, and is a no-op when run again', async () => {
    const run = (args: string[]) =>
      promisify(execFile)('npx', ['ts-node', '--transpile-only', 'src/cli/pii-reencrypt.ts', ...args], {
        env: { ...process.env, DATABASE_URL: before.databaseUrl, REDIS_URL: testRedisUrl(), PII_ENCRYPTION_KEYS: `${NEW},${OLD}`, PII_HMAC_KEY: HMAC, LOG_LEVEL: 'silent' },
      });
    const { stdout } = await run([]);
    expect(stdout).toMatch(/^current key: 'new'$/m);
    expect(stdout).toMatch(/^trainees: 0 rows re-encrypted in \d+ ms; 0 left under other keys$/m);
    expect(stdout).toMatch(/^trainees: values by key: 'new' \d+$/m);
  });
});
