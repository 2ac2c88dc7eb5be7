/**
 * Queue names, job names and job payload types, defined once and imported by producers and processors alike,
 * so a renamed job cannot leave a producer talking to nobody.
 */
export const QUEUES = {
  /** Housekeeping on a schedule: purging expired idempotency records, and later domain schedules. */
  maintenance: 'maintenance',
  /**
   * Every domain event of the outbox, relayed by the outbox relay (src/events/outbox-relay.ts) and processed by
   * the handlers registered with EventHandlers (src/events/event-processing.ts). Job name = the event type,
   * job id = the event id, payload = DomainEventJob.
   */
  domainEvents: 'domain-events',
  /** Recomputations of the statistics read models, coalesced per brand and per region. */
  statistics: 'statistics',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const MAINTENANCE_JOBS = {
  purgeIdempotencyKeys: 'purge-idempotency-keys',
  /** Records `expired` for brands past validUntil; API.md asks for it within a minute. */
  expireBrands: 'expire-brands',
} as const;

export type MaintenanceJobName = (typeof MAINTENANCE_JOBS)[keyof typeof MAINTENANCE_JOBS];

/** Scheduled maintenance jobs carry no payload: they act on whatever is due when they run. */
export type MaintenanceJobData = Record<string, never>;

/**
 * The payload of a `domain-events` job: one outbox row. The job's name is `type` and its id is `id`, so the
 * queue never holds two jobs for one event. Delivery is at least once (see OutboxRelay), in roughly but not
 * strictly `seq` order, so every handler must be idempotent and must not rely on order alone.
 */
export interface DomainEventJob {
  /** The event id (uuid); also the job id. */
  id: string;
  /** The outbox sequence number (a bigint, as a decimal string): increases with insertion, not with commit. */
  seq: string;
  /** `<aggregate>.<past-tense verb>`, e.g. `placement.confirmed`. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  brandId: string | null;
  /** Ids and facts only, never personal data. */
  data: Record<string, unknown>;
  actorOrganizationId: string | null;
  /** ISO 8601 instant (UTC) the event was written. */
  occurredAt: string;
}

export const STATISTICS_JOBS = {
  recomputeBrand: 'recompute-brand',
  recomputeRegion: 'recompute-region',
  /** Daily: figures that move with time alone (retention windows, certificate and brand expiry). */
  refreshAll: 'refresh-all',
  /**
   * Every minute: brands whose newest event is newer than their figures and older than a few seconds are
   * scheduled again. Covers events whose jobs were lost with Redis's data after the relay marked them delivered.
   */
  reconcile: 'reconcile',
} as const;

export type StatisticsJobName = (typeof STATISTICS_JOBS)[keyof typeof STATISTICS_JOBS];

export type StatisticsJobData = { brandId: string } | { regionCode: string } | Record<string, never>;
