import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { ORGANIZATION_KINDS, type OrganizationKind } from '../common/auth/actor';
import { sqlIn } from '../database/sql';

@Entity('organizations')
@Check('ck_organizations_kind', sqlIn('kind', ORGANIZATION_KINDS))
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
