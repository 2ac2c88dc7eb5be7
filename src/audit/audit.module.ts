import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { AuditLog } from './audit.service';

/** The append-only audit log: every change (in its transaction) and every read of the platform. */
@Global()
@Module({ providers: [AuditRepository, AuditLog], exports: [AuditLog] })
export class AuditModule {}
