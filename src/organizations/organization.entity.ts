import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const ORGANIZATION_KINDS = ['platform', 'bureau', 'hr_firm', 'employer'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];

@Entity('organizations')
@Check('ck_organizations_kind', `kind IN ('platform', 'bureau', 'hr_firm', 'employer')`)
@Index('ix_organizations_created', ['createdAt', 'id'])
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  kind: OrganizationKind;

  @Column({ type: 'text' })
  name: string;

  @Index('ux_organizations_credit_code', { unique: true })
  @Column({ type: 'char', length: 18 })
  creditCode: string;

  @Column({ type: 'char', length: 6 })
  regionCode: string;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;
}
