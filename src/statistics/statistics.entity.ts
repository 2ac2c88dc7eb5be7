import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The read model of one brand's figures, recomputed by the workers from the source tables whenever an event of
 * the brand arrives (and daily for figures that move with time alone). Every figure is exact as of `last_event_seq`.
 */
@Entity('brand_statistics')
@Index('ix_brand_statistics_region', ['regionCode'])
export class BrandStatisticsRecord {
  @PrimaryColumn({ type: 'uuid' })
  brandId: string;

  /** Copied from the brand so the cross-brand list filters and sorts without a join. */
  @Column({ type: 'char', length: 6 })
  regionCode: string;

  @Column({ type: 'varchar', length: 10 })
  occupationCode: string;

  /** False for drafts and submitted brands: they never appear in public lists. */
  @Column({ type: 'boolean' })
  isPublic: boolean;

  @Column({ type: 'int' }) traineeCount: number;
  @Column({ type: 'jsonb' }) traineesByStatus: Record<string, number>;
  @Column({ type: 'int' }) certifiedTraineeCount: number;
  @Column({ type: 'float8', nullable: true }) certificationRate: number | null;
  @Column({ type: 'int' }) placedTraineeCount: number;
  @Column({ type: 'float8', nullable: true }) placementRate: number | null;
  @Column({ type: 'int' }) activePlacementCount: number;
  @Column({ type: 'int' }) endedPlacementCount: number;
  @Column({ type: 'int' }) employerCount: number;
  @Column({ type: 'int' }) salarySampleSize: number;
  @Column({ type: 'bigint', nullable: true }) medianAnnualFen: string | null;
  @Column({ type: 'bigint', nullable: true }) p25AnnualFen: string | null;
  @Column({ type: 'bigint', nullable: true }) p75AnnualFen: string | null;
  @Column({ type: 'bigint', nullable: true }) meanAnnualFen: string | null;
  @Column({ type: 'float8', nullable: true }) medianSalaryUpliftPct: number | null;
  @Column({ type: 'float8', nullable: true }) medianDaysToPlacement: number | null;
  @Column({ type: 'float8', nullable: true }) retention6mRate: number | null;
  @Column({ type: 'float8', nullable: true }) retention12mRate: number | null;

  /** Time of the newest event included. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true }) asOf: Date | null;
  @Column({ type: 'timestamptz', precision: 3 }) computedAt: Date;
  @Column({ type: 'uuid', nullable: true }) lastEventId: string | null;
  /** Outbox sequence of the newest event included: a recomputation never overwrites a fresher one. */
  @Column({ type: 'bigint', default: 0 }) lastEventSeq: string;
}

/** Figures over every public brand a region code covers: a true median over all their placements. */
@Entity('region_statistics')
export class RegionStatisticsRecord {
  @PrimaryColumn({ type: 'char', length: 6 })
  regionCode: string;

  @Column({ type: 'int' }) brandCount: number;
  @Column({ type: 'int' }) traineeCount: number;
  @Column({ type: 'int' }) placedTraineeCount: number;
  @Column({ type: 'int' }) activePlacementCount: number;
  @Column({ type: 'int' }) salarySampleSize: number;
  @Column({ type: 'bigint', nullable: true }) medianAnnualFen: string | null;
  @Column({ type: 'bigint', nullable: true }) p25AnnualFen: string | null;
  @Column({ type: 'bigint', nullable: true }) p75AnnualFen: string | null;
  @Column({ type: 'bigint', nullable: true }) meanAnnualFen: string | null;
  /**
   * Whether the salary figures may be shown to a reader without privilege (disclosure.rules.ts), decided with the
   * figures from the same snapshot; null for rows computed before it was kept.
   */
  @Column({ type: 'boolean', nullable: true }) salaryDisclosable: boolean | null;
  @Column({ type: 'timestamptz', precision: 3, nullable: true }) asOf: Date | null;
  @Column({ type: 'timestamptz', precision: 3 }) computedAt: Date;
}
