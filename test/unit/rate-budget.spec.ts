import fc from 'fast-check';
import { budgetVerdict, estimatedCount, flushDue, localShare, remainingBudget, WindowTally } from '../../src/common/auth/rate-budget';

const tally = (known: number, inFlight = 0, pending = 0): WindowTally => ({ known, inFlight, pending });

describe('budgetVerdict', () => {
  it('answers locally far from the limit, while the uncounted hits stay within the share', () => {
    expect(localShare(6000)).toBe(60);
    expect(budgetVerdict(tally(0), 6000)).toBe('local');
    expect(budgetVerdict(tally(1000, 30, 29), 6000)).toBe('local');
    // The 61st uncounted hit waits for Redis.
    expect(budgetVerdict(tally(1000, 30, 30), 6000)).toBe('sync');
  });

  it('counts the last share of the budget in Redis, request by request', () => {
    // 5939 known + this one = 5940 = limit − share: still local; one more is not.
    expect(budgetVerdict(tally(5939), 6000)).toBe('local');
    expect(budgetVerdict(tally(5940), 6000)).toBe('sync');
    expect(budgetVerdict(tally(5900, 20, 19), 6000)).toBe('local');
    expect(budgetVerdict(tally(5900, 20, 20), 6000)).toBe('sync');
  });

  it('refuses without asking Redis once Redis has said the window is used up', () => {
    expect(budgetVerdict(tally(6000), 6000)).toBe('refuse');
    expect(budgetVerdict(tally(7000, 5, 5), 6000)).toBe('refuse');
    expect(budgetVerdict(tally(5999), 6000)).toBe('sync');
  });

  it('counts every request of a limit below 100 in Redis', () => {
    expect(localShare(99)).toBe(0);
    expect(budgetVerdict(tally(0), 5)).toBe('sync');
    expect(budgetVerdict(tally(0), 99)).toBe('sync');
    expect(budgetVerdict(tally(0), 100)).toBe('local');
    expect(budgetVerdict(tally(98), 100)).toBe('local');
    expect(budgetVerdict(tally(99), 100)).toBe('sync');
  });
});

describe('flushDue and remainingBudget', () => {
  it('sends early once half the share waits and nothing of the key is in flight', () => {
    expect(flushDue(tally(0, 0, 29), 6000)).toBe(false);
    expect(flushDue(tally(0, 0, 30), 6000)).toBe(true);
    expect(flushDue(tally(0, 1, 30), 6000)).toBe(false);
    expect(flushDue(tally(0, 0, 0), 5)).toBe(false);
  });

  it('counts this process’s unanswered hits against the remaining budget', () => {
    expect(estimatedCount(tally(10, 2, 3))).toBe(15);
    expect(remainingBudget(tally(10, 2, 3), 20)).toBe(5);
    expect(remainingBudget(tally(30, 2, 3), 20)).toBe(0);
  });
});

/**
 * N processes counting one key against one Redis counter, in every order the network allows: a process's commands
 * reach Redis in the order it sent them and their replies come back in that order, but hits, ticks, deliveries and
 * replies of different processes interleave at random. The limit is exceeded by at most N × share.
 */
describe('the bound across instances', () => {
  interface Sent {
    count: number;
    /** A synchronous hit awaits this reply for its answer. */
    sync: boolean;
    reply?: number;
  }
  interface Process {
    tally: WindowTally;
    toRedis: Sent[];
    toProcess: Sent[];
  }

  type Step = { kind: 'hit' | 'tick' | 'deliver' | 'reply'; process: number };

  function simulate(limit: number, processes: number, steps: Step[]): { admitted: number; counted: number } {
    let counter = 0;
    let admitted = 0;
    const ps: Process[] = Array.from({ length: processes }, () => ({ tally: tally(0), toRedis: [], toProcess: [] }));
    const send = (p: Process, count: number, sync: boolean): void => {
      p.tally.inFlight += count;
      p.toRedis.push({ count, sync });
    };
    const flush = (p: Process): void => {
      if (p.tally.pending > 0 && p.tally.inFlight === 0) {
        const count = p.tally.pending;
        p.tally.pending = 0;
        send(p, count, false);
      }
    };
    const run = (step: Step): void => {
      const p = ps[step.process % processes];
      switch (step.kind) {
        case 'hit': {
          const verdict = budgetVerdict(p.tally, limit);
          if (verdict === 'local') {
            p.tally.pending++;
            admitted++;
            if (flushDue(p.tally, limit)) flush(p);
          } else if (verdict === 'sync') {
            const count = p.tally.pending + 1;
            p.tally.pending = 0;
            send(p, count, true);
          }
          return;
        }
        case 'tick':
          return flush(p);
        case 'deliver': {
          const sent = p.toRedis.shift();
          if (!sent) return;
          counter += sent.count;
          sent.reply = counter;
          p.toProcess.push(sent);
          return;
        }
        case 'reply': {
          const sent = p.toProcess.shift();
          if (!sent) return;
          p.tally.inFlight -= sent.count;
          p.tally.known = Math.max(p.tally.known, sent.reply!);
          if (sent.sync && sent.reply! <= limit) admitted++;
          if (!sent.sync && flushDue(p.tally, limit)) flush(p);
          return;
        }
      }
    };
    steps.forEach(run);
    // Drain: everything sent reaches Redis and comes back, everything pending is sent.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < processes; i++) {
        run({ kind: 'tick', process: i });
        while (ps[i].toRedis.length > 0 || ps[i].toProcess.length > 0) {
          run({ kind: 'deliver', process: i });
          run({ kind: 'reply', process: i });
        }
      }
    }
    return { admitted, counted: counter };
  }

  // Runs of one kind at one process: one process's knowledge goes stale while the others use the budget up.
  const steps = (processes: number): fc.Arbitrary<Step[]> =>
    fc
      .array(
        fc.record({
          kind: fc.constantFrom<Step['kind']>('hit', 'hit', 'tick', 'deliver', 'reply'),
          process: fc.nat({ max: processes - 1 }),
          times: fc.integer({ min: 1, max: 40 }),
        }),
        { minLength: 1, maxLength: 200 },
      )
      .map((runs) => runs.flatMap(({ kind, process, times }) => Array.from({ length: times }, () => ({ kind, process }))));

  it('admits at least the limit and at most limit + N × share, whatever the interleaving', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(5, 50, 100, 250, 500),
        fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), steps(n))),
        (limit, [processes, steps]) => {
          const { admitted, counted } = simulate(limit, processes, steps);
          expect(admitted).toBeLessThanOrEqual(limit + processes * localShare(limit));
          // Every place up to the limit in Redis's count is an admitted request: refusals only come past it.
          expect(admitted).toBeGreaterThanOrEqual(Math.min(limit, counted));
          if (processes === 1) expect(admitted).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 500 },
    );
  });
});
