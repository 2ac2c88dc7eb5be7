import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { isIPv4, isIPv6 } from 'node:net';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { REDIS, type RedisClient } from '../redis/redis';
import { safeMessage } from '../logging/logger';
import { budgetVerdict, flushDue, remainingBudget, type WindowTally } from './rate-budget';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

// INCRBY and the first PEXPIRE in one step, so a counter can never be left without an expiry (every increment is
// positive: the count equals the increment only when this call created the key).
const INCREMENT = `local n = redis.call('INCRBY', KEYS[1], ARGV[1]) if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return n`;

/** The window of the per-address limits (API.md, Operations: so many a minute). */
const ADDRESS_WINDOW_MS = 60_000;

/** What a client address is counted for: failed key checks, or requests to routes that take no key. */
export type AddressBucket = 'auth-failure' | 'public';

/**
 * The key a client address counts under: an IPv4 address as it is (also when written IPv4-mapped, `::ffff:a.b.c.d`),
 * an IPv6 address by its /64 prefix — one subscriber's network, in which a client may pick a new address for every
 * request.
 */
export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, '');
  if (!isIPv6(bare)) return ip;
  const [head, tail = ''] = bare.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (…:1.2.3.4) is the low 32 bits: outside the /64 either way.
  const groups = bare.includes('::') ? [...headGroups, ...Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/** What this process knows of one API key's current window, and where its count lives in Redis. */
interface KeyWindow extends WindowTally {
  redisKey: string;
  limit: number;
  /** When the window ends (ms since the epoch): past it, and with nothing left to send, the tally is dropped. */
  windowEnd: number;
  ttlMs: number;
}

/** The fixed window `now` falls in (its number) and the whole seconds until it ends, at least 1. */
function fixedWindow(now: number, windowMs: number): { window: number; resetSeconds: number } {
  const window = Math.floor(now / windowMs);
  return { window, resetSeconds: Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000)) };
}

/**
 * Fixed-window counters in Redis, shared by every API instance: per API key for authenticated requests, and per
 * client address for failed key checks and unauthenticated routes. When Redis does not answer a limit fails open:
 * refusing all traffic because a counter store is away would turn a cache outage into an API outage.
 *
 * The per-key limit is on every authenticated request, so it does not wait for Redis while a key is far from its
 * limit: each process counts a key's hits of the window locally and sends them every RATE_LIMIT_SYNC_MS, all keys
 * in one pipeline (one INCRBY per key), learning the window's count across instances from the replies. A request
 * is answered from that count plus the hits not yet answered for (rate-budget.ts). A process holds at most its
 * local share of a key's hits uncounted in Redis (1 % of the limit, 0 below 100 a window); before that, or once the
 * last share of the budget is reached, it counts each request in Redis and decides by the reply, as every request
 * did before. Hence the bound: with N API instances a key gets at most RATE_LIMIT_MAX + N × floor(RATE_LIMIT_MAX /
 * 100) requests a window (6,120 for the default 6,000 and two instances): an instance lets a request through
 * unchecked only with at most its share uncounted, and stops at the first reply that shows the limit passed. A
 * single instance is exact (its count is the whole count), and so is a limit below 100. Refusals past the limit
 * cost no command once an instance has seen the window used up (a window's count never goes down). While
 * Redis is away the per-key limit fails open like the others (no decision, no headers), but the hits stay counted
 * locally and reach Redis when it is back.
 *
 * The per-address limits stay counted in Redis request by request: they guard against key guessing and serve the
 * routes without a key, neither of which is the hot path, and a failure limit must not hand out a share unchecked.
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(RateLimiter.name);
  private lastWarning = 0;
  /** By Redis key: one per API key and window. */
  private readonly tallies = new Map<string, KeyWindow>();
  private ticker: NodeJS.Timeout | null = null;
  private closed = false;
  /** The last send failed: fail open until one succeeds. */
  private redisAway = false;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts a request of an API key (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS); null when the limit is off or Redis is away. */
  async hit(apiKeyId: string): Promise<RateDecision | null> {
    const limit = this.config.rateLimitMax;
    if (limit === 0) return null;
    const windowMs = this.config.rateLimitWindowMs;
    const { window, resetSeconds } = fixedWindow(Date.now(), windowMs);
    const redisKey = this.redisKey(`key:${apiKeyId}`, window);
    let tally = this.tallies.get(redisKey);
    if (!tally) {
      tally = { redisKey, limit, windowEnd: (window + 1) * windowMs, ttlMs: windowMs + 1000, known: 0, inFlight: 0, pending: 0 };
      this.tallies.set(redisKey, tally);
      this.startTicker();
    }
    if (this.redisAway || this.redis.status !== 'ready') {
      tally.pending++;
      this.warn(`Redis is ${this.redisAway ? 'not answering' : this.redis.status}`);
      return null;
    }
    const verdict = budgetVerdict(tally, limit);
    if (verdict === 'refuse') return { allowed: false, limit, remaining: 0, resetSeconds };
    if (verdict === 'local') {
      tally.pending++;
      const decision = { allowed: true, limit, remaining: remainingBudget(tally, limit), resetSeconds };
      if (flushDue(tally, limit)) void this.send([tally]);
      return decision;
    }
    // Counted in Redis before the answer, together with whatever this process has not sent yet: the reply then
    // includes every hit of this process, so one instance hands out exactly its limit.
    const count = tally.pending + 1;
    tally.pending = 0;
    tally.inFlight += count;
    let total: number;
    try {
      total = Number(await this.redis.eval(INCREMENT, 1, redisKey, String(count), String(tally.ttlMs)));
    } catch (err) {
      tally.inFlight -= count;
      tally.pending += count;
      this.warn(safeMessage(err));
      return null;
    }
    tally.inFlight -= count;
    tally.known = Math.max(tally.known, total);
    return { allowed: total <= limit, limit, remaining: total <= limit ? remainingBudget(tally, limit) : 0, resetSeconds };
  }

  /** Counts an event of a client address in a bucket, `limit` a minute. */
  hitAddress(bucket: AddressBucket, address: string, limit: number): Promise<RateDecision | null> {
    return this.count(`${bucket}:${clientAddressKey(address)}`, limit, ADDRESS_WINDOW_MS);
  }

  /** Sends what is pending, so that no counted request is lost with the process. */
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    await this.flush();
  }

  private redisKey(subject: string, window: number): string {
    return `${this.config.redisPrefix}:rl:${subject}:${window}`;
  }

  private startTicker(): void {
    if (this.ticker || this.closed) return;
    this.ticker = setInterval(() => void this.flush(), this.config.rateLimitSyncMs);
    // The counts are worth a tick, not a process kept alive.
    this.ticker.unref();
  }

  /** Sends every key's pending hits that have none in flight; drops the tallies of windows that have ended. */
  private async flush(): Promise<void> {
    const now = Date.now();
    const due: KeyWindow[] = [];
    for (const [key, tally] of this.tallies) {
      if (tally.pending > 0 && tally.inFlight === 0) due.push(tally);
      else if (tally.pending === 0 && tally.inFlight === 0 && tally.windowEnd <= now) this.tallies.delete(key);
    }
    if (due.length > 0) await this.send(due);
  }

  private async send(batch: KeyWindow[]): Promise<void> {
    const counts = batch.map((tally) => {
      const count = tally.pending;
      tally.pending = 0;
      tally.inFlight += count;
      return count;
    });
    let replies: Array<number | Error>;
    try {
      replies = await this.increment(batch.map((tally, i) => [tally.redisKey, counts[i], tally.ttlMs]));
    } catch (err) {
      replies = batch.map(() => (err instanceof Error ? err : new Error(String(err))));
    }
    let failure: Error | null = null;
    batch.forEach((tally, i) => {
      tally.inFlight -= counts[i];
      const reply = replies[i];
      if (reply instanceof Error) {
        // Sent again at the next tick: a lost reply may count them twice, which only errs on the strict side.
        tally.pending += counts[i];
        failure = reply;
      } else {
        tally.known = Math.max(tally.known, reply);
      }
    });
    this.redisAway = failure !== null;
    if (failure) {
      this.warn(safeMessage(failure));
      return;
    }
    // Hits that came in while this was in flight and already make up half a share go now, not at the next tick.
    const again = batch.filter((tally) => flushDue(tally, tally.limit));
    if (again.length > 0) await this.send(again);
  }

  /** One INCRBY (with its first PEXPIRE) per key, in one pipeline; the new counts, or each key's error. */
  private async increment(items: Array<[key: string, count: number, ttlMs: number]>): Promise<Array<number | Error>> {
    const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
    if (this.redis.isCluster) {
      // A Cluster pipeline must stay on one node, and the counters of different keys are spread over the slots.
      return Promise.all(items.map(([key, count, ttlMs]) => this.redis.eval(INCREMENT, 1, key, String(count), String(ttlMs)).then(Number, asError)));
    }
    const pipeline = this.redis.pipeline();
    for (const [key, count, ttlMs] of items) pipeline.eval(INCREMENT, 1, key, String(count), String(ttlMs));
    const results = (await pipeline.exec()) ?? [];
    return items.map((_, i) => {
      const [err, value] = results[i] ?? [new Error('no reply'), null];
      return err ? asError(err) : Number(value);
    });
  }

  private async count(subject: string, limit: number, windowMs: number): Promise<RateDecision | null> {
    if (limit === 0) return null;
    const { window, resetSeconds } = fixedWindow(Date.now(), windowMs);
    try {
      const count = Number(await this.redis.eval(INCREMENT, 1, this.redisKey(subject, window), '1', String(windowMs + 1000)));
      return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetSeconds };
    } catch (err) {
      this.warn(safeMessage(err));
      return null;
    }
  }

  private warn(reason: string): void {
    const now = Date.now();
    if (now - this.lastWarning > 10_000) {
      this.lastWarning = now;
      this.logger.warn(`rate limit not enforced: Redis did not answer (${reason})`);
    }
  }
}
