import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config/config';
import { DomainEvent, Outbox } from '../../src/events/outbox.service';
import { QUEUES } from '../../src/common/queue/queues';

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000, intervalMs = 25): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `count` test events of one type, each its own aggregate. */
export function testEvents(count: number, type = 'test.happened', brandId: string | null = null): DomainEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    type,
    aggregateType: 'test',
    aggregateId: '00000000-0000-4000-8000-' + String(i).padStart(12, '0'),
    brandId,
    data: { n: i },
  }));
}

/** Appends events through the one outbox writer, in transactions of `perTransaction`; returns their ids. */
export async function appendEvents(dataSource: DataSource, outbox: Outbox, events: DomainEvent[], perTransaction = events.length): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += perTransaction) {
    const appended = await dataSource.transaction((m) => outbox.append(m, null, events.slice(i, i + perTransaction)));
    ids.push(...appended.map((e) => e.id));
  }
  return ids;
}

export async function undeliveredCount(dataSource: DataSource, ids?: string[]): Promise<number> {
  const [row] = ids
    ? await dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL AND id = ANY($1::uuid[])`, [ids])
    : await dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL`);
  return row.n;
}

/** The test's own handle on an app's domain-events queue (same Redis and prefix). */
export function domainEventsQueue(config: AppConfig): Queue {
  const url = new URL(config.redisUrl);
  const queue = new Queue(QUEUES.domainEvents, {
    connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null, retryStrategy: () => 200 },
    prefix: config.queuePrefix,
  });
  queue.on('error', () => undefined);
  return queue;
}

/** Deletes every Redis key under a test's prefix on the shared Redis. */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
