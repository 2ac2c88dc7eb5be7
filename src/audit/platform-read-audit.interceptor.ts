import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import type { AuthenticatedRequest } from '../common/auth/decorators';
import { AuditLog } from './audit.service';
import { safeMessage } from '../common/logging/logger';

/**
 * The platform sees every tenant's objects, so each of its reads is recorded (API.md, Conventions). Written
 * after the response is produced, off the request's critical path; a failed write is logged, not shown.
 */
@Injectable()
export class PlatformReadAuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');
  constructor(private readonly audit: AuditLog) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const actor = request.actor;
    if (request.method !== 'GET' || actor?.kind !== 'platform') return next.handle();
    return next.handle().pipe(
      tap(() => {
        const params = (request.params ?? {}) as Record<string, string>;
        this.audit
          .recordNow(actor, {
            action: 'read',
            objectType: request.routeOptions.url ?? 'unknown',
            objectId: params.id ?? params.brandId ?? params.serial ?? null,
            details: { params },
          })
          .catch((err: Error) => this.logger.warn(`platform read not audited: ${safeMessage(err)}`));
      }),
    );
  }
}
