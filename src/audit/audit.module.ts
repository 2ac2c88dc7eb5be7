import { Global, Module } from '@nestjs/common';
import { PrepareAuditPartitionsJob } from './audit-partitions.job';
import { AuditRepository } from './audit.repository';
import { AuditLog } from './audit.service';

/** The append-only audit log: every change (in its transaction) and every read of the platform. */
@Global()
@Module({ providers: [AuditRepository, AuditLog, PrepareAuditPartitionsJob], exports: [AuditLog] })
export class AuditModule {}
