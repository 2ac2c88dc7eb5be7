import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { PiiCipher } from '../common/crypto/pii-cipher';
import { PII_CIPHER } from '../common/crypto/pii.provider';
import { IDEMPOTENCY_CIPHERTEXTS } from '../common/idempotency/idempotency.repository';
import { ConfigError, loadConfig } from '../config/config';
import { countStale, EncryptedTable, reencryptBatch, valuesByKey } from '../database/ciphertexts';
import { migrate } from '../database/migrate';
import { TRAINEE_CIPHERTEXTS, TRAINEE_IMPORT_CIPHERTEXTS } from '../trainees/trainees.fragments';

/** Every table that holds values under the PII keys, as its owner describes them. */
export const ENCRYPTED_TABLES: readonly EncryptedTable[] = [TRAINEE_CIPHERTEXTS, IDEMPOTENCY_CIPHERTEXTS, TRAINEE_IMPORT_CIPHERTEXTS];

const USAGE = `usage: npm run pii:reencrypt [-- --batch <rows>] [-- --check]

Re-encrypts every identity number, phone number, stored response and stored import file under the first key of PII_ENCRYPTION_KEYS,
so that the keys after it can be retired. Safe while the service runs; stop it at any time and run it again to
resume. --check only reports what is under which key.`;

class UsageError extends Error {}

interface Options {
  batch: number;
  check: boolean;
}

export function parseArgs(argv: string[]): Options {
  const options: Options = { batch: 500, check: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--check') options.check = true;
    else if (arg === '--batch' && /^[1-9][0-9]{0,5}$/.test(argv[i + 1] ?? '')) options.batch = Number(argv[++i]);
    else throw new UsageError(`${arg === '--help' ? '' : `unknown argument ${arg}\n`}${USAGE}`);
  }
  return options;
}

/** Re-encrypts every table; answers the values left under other keys (0 when an old key may be retired). */
export async function reencryptAll(dataSource: DataSource, cipher: PiiCipher, batch: number, say: (line: string) => void): Promise<number> {
  let left = 0;
  for (const table of ENCRYPTED_TABLES) {
    const started = Date.now();
    let rewritten = 0;
    let after: unknown[] | null = null;
    do {
      const result = await reencryptBatch(dataSource, table, cipher, after, batch);
      rewritten += result.rewritten;
      after = result.last;
    } while (after !== null);
    const stale = await countStale(dataSource, table, cipher);
    left += stale;
    say(`${table.table}: ${rewritten} rows re-encrypted in ${Date.now() - started} ms; ${stale} left under other keys`);
  }
  return left;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const config = loadConfig({ ...process.env, BOOTSTRAP_ADMIN_KEY: '', DATABASE_POOL_SIZE: '2' });
  await migrate(config.databaseDirectUrl);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, worker: false }), { logger: ['error'] });
  const say = (line: string): boolean => process.stdout.write(`${line}\n`);
  try {
    const dataSource = app.get(DataSource);
    const cipher = app.get<PiiCipher>(PII_CIPHER);
    say(`current key: '${cipher.currentKeyId}'`);
    if (!options.check) {
      const left = await reencryptAll(dataSource, cipher, options.batch, say);
      if (left > 0) {
        say(`${left} rows are still under other keys (an instance still encrypting with an older key first?): run again before retiring a key`);
        process.exitCode = 2;
      }
    }
    for (const table of ENCRYPTED_TABLES) {
      const byKey = Object.entries(await valuesByKey(dataSource, table)).map(([key, n]) => `'${key}' ${n}`);
      say(`${table.table}: values by key: ${byKey.join(', ') || 'none'}`);
    }
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof UsageError ? err.message : `pii:reencrypt failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
