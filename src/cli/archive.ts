import 'reflect-metadata';
import { Client } from 'pg';
import { AUDIT_ARCHIVE } from '../audit/audit.fragments';
import { AppConfig, ConfigError, loadConfig } from '../config/config';
import { migrate } from '../database/migrate';
import { archiveMonthsBefore, type ArchivedTable, type MonthOutcome } from '../database/month-archive';
import { archiveCutoff, isMonth, monthOf } from '../database/months';
import { OUTBOX_ARCHIVE } from '../events/outbox.fragments';

const USAGE = `usage: npm run archive [-- --before YYYY-MM]

Writes every month of the outbox and of the audit log before YYYY-MM (UTC months) to ARCHIVE_DIR as
<table>-<YYYY-MM>.ndjson.gz (gzip-compressed, one row per line), checks the file holds every row, then detaches and
drops the month. Months inside OUTBOX_RETENTION_MONTHS / AUDIT_RETENTION_MONTHS before the current one always stay;
without --before, everything older than those is archived. An outbox month that still holds undelivered events is
refused. Safe to stop and to run again.`;

class UsageError extends Error {}

export interface Options {
  before?: string;
}

export function parseArgs(argv: string[]): Options {
  const options: Options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--before' && isMonth(argv[i + 1] ?? '')) options.before = argv[++i];
    else if (arg === '--before') throw new UsageError(`--before takes a month as YYYY-MM (got ${argv[i + 1] ?? 'nothing'})\n${USAGE}`);
    else throw new UsageError(`${arg === '--help' ? '' : `unknown argument ${arg}\n`}${USAGE}`);
  }
  return options;
}

/** Each archived table with the months it keeps, as the configuration says. */
function tables(config: AppConfig): Array<{ spec: ArchivedTable; retention: number; variable: string }> {
  return [
    { spec: OUTBOX_ARCHIVE, retention: config.outboxRetentionMonths, variable: 'OUTBOX_RETENTION_MONTHS' },
    { spec: AUDIT_ARCHIVE, retention: config.auditRetentionMonths, variable: 'AUDIT_RETENTION_MONTHS' },
  ];
}

/** Archives both tables up to their cut-offs; answers every month's outcome. */
export async function archiveAll(config: AppConfig, options: Options, say: (line: string) => void, now = new Date()): Promise<MonthOutcome[]> {
  // A session of its own, not the pool: the rows are read through a cursor and the file written as they come.
  const client = new Client({ connectionString: config.databaseUrl, application_name: 'labor-brands:archive' });
  await client.connect();
  const outcomes: MonthOutcome[] = [];
  try {
    for (const { spec, retention, variable } of tables(config)) {
      const cutoff = archiveCutoff(now, retention, options.before);
      if (options.before !== undefined && cutoff < options.before) {
        say(`${spec.table}: ${variable}=${retention} keeps ${cutoff} and later (the current month is ${monthOf(now)})`);
      }
      const done = await archiveMonthsBefore(client, spec, cutoff, config.archiveDir);
      if (!done.length) say(`${spec.table}: no month before ${cutoff} to archive`);
      for (const o of done) {
        say(o.refused === null ? `${o.table} ${o.month}: ${o.rows} rows written to ${o.file}; partition dropped` : `${o.table} ${o.month}: kept, ${o.refused}`);
      }
      outcomes.push(...done);
    }
  } finally {
    await client.end();
  }
  return outcomes;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const config = loadConfig({ ...process.env, BOOTSTRAP_ADMIN_KEY: '' });
  await migrate(config.databaseUrl);
  const outcomes = await archiveAll(config, options, (line) => process.stdout.write(`${line}\n`));
  if (outcomes.some((o) => o.refused !== null)) process.exitCode = 2;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError || err instanceof UsageError ? err.message : `archive failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
