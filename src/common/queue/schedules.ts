import { Logger } from '@nestjs/common';
import type { Queue, RepeatOptions } from 'bullmq';
import { safeMessage } from '../logging/logger';

export interface ScheduleSpec {
  name: string;
  repeat: Omit<RepeatOptions, 'key'>;
}

const RETRY_MS = 5_000;
const REASSERT_MS = 10 * 60_000;

/**
 * Keeps a queue's job schedulers in place without ever blocking start-up: they are written when Redis answers,
 * retried while it does not, and written again every ten minutes, so a Redis that lost its data gets them back
 * without a restart. Writing a scheduler that exists changes nothing (upsert).
 */
export class JobSchedules {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly queue: Queue,
    private readonly specs: ScheduleSpec[],
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.assert();
  }

  private async assert(): Promise<void> {
    if (this.stopped) return;
    try {
      for (const spec of this.specs) await this.queue.upsertJobScheduler(spec.name, spec.repeat, { name: spec.name, data: {} });
      if (this.failing) this.logger.log(`schedules of ${this.queue.name} restored`);
      this.failing = false;
      this.schedule(REASSERT_MS);
    } catch (err) {
      if (!this.failing) this.logger.warn(`schedules of ${this.queue.name} not written yet (${safeMessage(err)}); retrying`);
      this.failing = true;
      this.schedule(RETRY_MS);
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.assert(), ms);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

/** One warning per minute at most: a Redis outage makes a worker report every reconnect attempt. */
export function throttledWarning(logger: Logger, what: string, everyMs = 60_000): (err: Error) => void {
  let last = 0;
  return (err) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    logger.warn(`${what}: ${safeMessage(err)}`);
  };
}
