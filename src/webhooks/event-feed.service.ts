import { msg } from '../common/i18n/message';
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Actor } from '../common/auth/actor';
import { encodeCursor, pageLimit } from '../common/pagination/pagination';
import { ProblemError } from '../common/problems/problem';
import { Outbox, type OutboxPosition } from '../events/outbox.service';
import { Policy } from '../policy/policy';
import type { EventFeedPage, EventFeedQuery } from './dto/webhook.dto';
import { eventData, eventFacts, isSubscribableEventType } from './webhook.rules';

/** Events examined per read at most: a caller who sees few events still gets an answer (and a cursor) quickly. */
const SCAN = 2000;
/** While a long poll waits, the feed is read again this often. */
const POLL_MS = 200;
const POSITION = /^\d{1,19}$/;
const MAX_BIGINT = 2n ** 63n - 1n;
const START: OutboxPosition = { xid: '0', seq: '0' };

/**
 * `GET /v1/events`: the events the caller may read (Policy.visibleEventsSql), oldest first, in the outbox's
 * (xid, seq) order, never past a transaction still running (Outbox.feed), so that an event committed after a page
 * was read, with an earlier position, still comes on a later page. The cursor always moves on, also over events
 * the caller may not see; a long poll reads again every POLL_MS until an event comes or its time is up.
 */
@Injectable()
export class EventFeedService implements OnModuleDestroy {
  private stopping = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly outbox: Outbox) {}

  onModuleDestroy(): void {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
  }

  async read(actor: Actor, query: EventFeedQuery): Promise<EventFeedPage> {
    let after = this.position(query.after);
    const types = this.types(query.types);
    const limit = pageLimit(query);
    const deadline = Date.now() + (query.wait ?? 0) * 1000;
    for (;;) {
      const page = await this.outbox.feed(after, { types, brandId: query.brandId }, (c, p) => Policy.visibleEventsSql(actor, c, p), limit, SCAN);
      after = page.next;
      const remaining = deadline - Date.now();
      if (page.rows.length > 0 || remaining <= 0 || this.stopping) {
        return {
          items: page.rows.map((row) => {
            const facts = eventFacts(row);
            return { id: facts.id, type: facts.type, occurredAt: facts.occurredAt, brandId: facts.brandId, aggregateType: facts.aggregateType, aggregateId: facts.aggregateId, data: eventData(facts) };
          }),
          nextCursor: encodeCursor([after.xid, after.seq]),
        };
      }
      await this.sleep(Math.min(POLL_MS, remaining));
    }
  }

  private position(cursor: string | undefined): OutboxPosition {
    if (cursor === undefined) return START;
    let key: unknown;
    try {
      key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    } catch {
      key = undefined;
    }
    if (!Array.isArray(key) || key.length !== 2 || !key.every((v) => typeof v === 'string' && POSITION.test(v) && BigInt(v) <= MAX_BIGINT)) {
      throw new ProblemError('VALIDATION_FAILED', msg('feed.cursorInvalid'), [{ field: 'after', code: 'INVALID_CURSOR', message: msg('feed.cursorHint') }]);
    }
    return { xid: key[0] as string, seq: key[1] as string };
  }

  private types(list: string | undefined): string[] {
    if (list === undefined) return [];
    const types = list.split(',').map((t) => t.trim());
    const unknown = types.filter((t) => !isSubscribableEventType(t));
    if (unknown.length) {
      const message = msg('feed.unknownTypes', { types: unknown.map((t) => JSON.stringify(t).slice(0, 80)).join(', ') });
      throw new ProblemError('VALIDATION_FAILED', message, [{ field: 'types', code: 'UNKNOWN_EVENT_TYPE', message }]);
    }
    return types;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
