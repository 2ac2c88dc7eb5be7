/**
 * The arithmetic of the per-key rate limit counted locally and synced to Redis in batches (RateLimiter): what one
 * process knows of a key's window, and whether a request may be answered from that knowledge, must wait for Redis,
 * or is refused outright. Kept free of Redis and timers so that every boundary can be tested in milliseconds.
 */

/** What this process knows of one key's current window. */
export interface WindowTally {
  /** The window's count in Redis as of the last reply: every instance's hits that had reached Redis then. */
  known: number;
  /** This process's hits in flight to Redis: sent, no reply yet. */
  inFlight: number;
  /** This process's hits not sent yet. */
  pending: number;
}

/** `local`: allowed from the tally; `sync`: count it in Redis and decide by the reply; `refuse`: over the limit. */
export type BudgetVerdict = 'local' | 'sync' | 'refuse';

/**
 * How many of a key's hits one process may allow without having counted them in Redis: 1 % of the limit. With N
 * instances the limit is exceeded by at most N × this (see RateLimiter); below 100 requests a window it is 0, so
 * a small limit is counted in Redis request by request and is exact.
 */
export function localShare(limit: number): number {
  return Math.floor(limit / 100);
}

/** The window's count as this process sees it: Redis's last answer plus its own hits Redis has not answered for. */
export function estimatedCount(tally: WindowTally): number {
  return tally.known + tally.inFlight + tally.pending;
}

/**
 * What to do with one more request. Refused without asking Redis once Redis has said the window is used up (a
 * window's count never goes down). Answered locally while the request leaves more than the local share of the
 * budget, by this process's count, and this process holds fewer than its share of uncounted hits; otherwise counted
 * in Redis before the answer, so that the last of the budget is handed out exactly.
 */
export function budgetVerdict(tally: WindowTally, limit: number): BudgetVerdict {
  if (tally.known >= limit) return 'refuse';
  const share = localShare(limit);
  const unsynced = tally.inFlight + tally.pending + 1;
  if (unsynced <= share && estimatedCount(tally) + 1 <= limit - share) return 'local';
  return 'sync';
}

/** Whether to send the key's pending hits now instead of at the next tick: half its share is waiting. */
export function flushDue(tally: WindowTally, limit: number): boolean {
  return tally.pending > 0 && tally.inFlight === 0 && tally.pending * 2 >= localShare(limit);
}

/** Requests left by this process's view, for the RateLimit-Remaining header. */
export function remainingBudget(tally: WindowTally, limit: number): number {
  return Math.max(0, limit - estimatedCount(tally));
}
