/**
 * Queue names, job names and job payload types, defined once and imported by producers and processors alike,
 * so a renamed job cannot leave a producer talking to nobody.
 */
export const QUEUES = {
  /** Housekeeping on a schedule: purging expired idempotency records, and later domain schedules. */
  maintenance: 'maintenance',
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
