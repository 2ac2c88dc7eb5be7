import { Module } from '@nestjs/common';
import { BrandsModule } from '../brands/brands.module';
import { EventFeedService } from './event-feed.service';
import { DeliverWebhooksJob } from './jobs/deliver-webhooks.job';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookFanout } from './webhook-fanout';
import { WebhookReconciler } from './webhook-reconciler';
import { WebhookResolver, WebhookSender } from './webhook-sender';
import { EventFeedController, WebhooksController } from './webhooks.controller';
import { WebhookMetrics } from './webhooks.metrics';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/**
 * Integrations (API.md): webhook subscriptions and their deliveries, and the event feed. In both roles: the routes,
 * the fan-out that makes delivery rows from domain events, and the delivery job (run where workers run).
 */
@Module({
  imports: [BrandsModule],
  controllers: [WebhooksController, EventFeedController],
  providers: [WebhooksRepository, WebhooksService, EventFeedService, WebhookResolver, WebhookSender, WebhookMetrics, WebhookDispatcher, WebhookFanout, DeliverWebhooksJob],
  exports: [WebhooksService, WebhookFanout, WebhooksRepository],
})
export class WebhooksModule {}

/** Worker role: the reconciler that keeps deliveries in line with Postgres when Redis lost jobs. */
@Module({ imports: [WebhooksModule], providers: [WebhookReconciler], exports: [WebhookReconciler] })
export class WebhooksWorkerModule {}
