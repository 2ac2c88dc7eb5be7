/**
 * The queues, named once. Each queue's jobs are classes declared where their domain lives (`@QueueJob`, see
 * job.ts), with their payload types; QueueWorkers creates one BullMQ worker per queue in the worker role.
 */
export const QUEUES = {
  /** Housekeeping on a schedule: expired idempotency records, brand expiry, the coming months' partitions. */
  maintenance: 'maintenance',
  /**
   * Every domain event of the outbox, relayed by the outbox relay (src/events/outbox-relay.ts) and handled by the
   * handlers registered with EventHandlers (src/events/domain-events.ts). Job name = the event type, job id = the
   * event id.
   */
  domainEvents: 'domain-events',
  /** Recomputations of the statistics read models, coalesced per brand and per region. */
  statistics: 'statistics',
  /**
   * Webhook deliveries (src/webhooks): each job a batch of delivery rows, which live in Postgres; a lost job is
   * queued again from them.
   */
  webhooks: 'webhooks',
  /** Import jobs (src/trainees): one job per import, which runs it from its checkpoint to its end. */
  traineeImports: 'trainee-imports',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUES);

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}
