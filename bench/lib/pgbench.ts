/** pgbench runs (the reference every write figure is a ratio to) and reading one gauge of the service's GET /metrics. */
import { backendsCpuDeltaMs, databaseUrl, pgbenchBinary, postgresBackendsCpuMs, psqlArgs, reapedChildrenCpuMs, run } from './db';

export interface PgbenchRun {
  tps: number;
  latencyAvgMs: number;
  clientCpuMs: number;
  backendCpuMs: number;
  transactions: number;
  failed: number;
}

export async function pgbench(database: string, args: string[]): Promise<PgbenchRun> {
  const conn = psqlArgs(databaseUrl(database));
  const before = postgresBackendsCpuMs(database);
  const childBefore = reapedChildrenCpuMs();
  // Backends end with the run, so sample their CPU while they live.
  let last = new Map<number, number>();
  const sampler = setInterval(() => {
    const now = postgresBackendsCpuMs(database);
    for (const [pid, cpu] of now) last.set(pid, cpu);
  }, 250);
  const res = await run(pgbenchBinary(), [...conn.slice(0, 6), ...args, conn[7]]);
  clearInterval(sampler);
  last = new Map([...last].filter(([pid]) => !before.has(pid)));
  if (res.code !== 0) throw new Error(`pgbench failed (${res.code}): ${res.stderr}\n${res.stdout}`);
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(res.stdout)?.[1]);
  const latencyAvgMs = Number(/latency average = ([\d.]+) ms/.exec(res.stdout)?.[1]);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(res.stdout)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(res.stdout)?.[1] ?? 0);
  return { tps, latencyAvgMs, transactions, failed, clientCpuMs: reapedChildrenCpuMs() - childBefore, backendCpuMs: backendsCpuDeltaMs(new Map(), last) };
}

/** A sample of one series of the service's Prometheus text (the first line with `labels`, or the unlabelled one). */
export function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => (labels === '' ? l.startsWith(`${name} `) : l.startsWith(`${name}{`) && l.includes(labels)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}
