import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The first response to a POST sent with an `Idempotency-Key`, replayed for 24 h to retries of the same request. */
@Entity('idempotency_keys')
@Check('ck_idempotency_keys_state', `state IN ('in_progress', 'completed')`)
@Index('ix_idempotency_keys_created', ['createdAt'])
export class IdempotencyRecord {
  @PrimaryColumn({ type: 'uuid' })
  apiKeyId: string;

  @PrimaryColumn({ type: 'text' })
  key: string;

  /** SHA-256 of method, path and canonical body: the same key with another request is refused. */
  @Column({ type: 'bytea' })
  requestHash: Buffer;

  @Column({ type: 'text' })
  state: 'in_progress' | 'completed';

  @Column({ type: 'int', nullable: true })
  responseStatus: number | null;

  /** The response body, encrypted like personal data: a stored response may show a trainee's name or phone. */
  @Column({ type: 'bytea', nullable: true })
  responseCipher: Buffer | null;

  /** Ids of the objects the response shows, so erasing a person also erases the responses that show them. */
  @Index('ix_idempotency_keys_resources', { synchronize: false })
  @Column({ type: 'uuid', array: true, default: () => `'{}'` })
  resourceIds: string[];

  @Column({ type: 'jsonb', nullable: true })
  responseHeaders: Record<string, string> | null;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  completedAt: Date | null;
}
