import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Webhook subscriptions and deliveries (the webhooks module), and the writing transaction's id on every outbox
 * event (`xid`, the events module), by which the event feed and the webhook fan-out read in an order no later
 * commit can slip into. Rows already in the outbox get this migration's transaction id (the volatile default
 * rewrites the table once). The fan-out cursor starts at the beginning; events older than every subscription
 * make no deliveries.
 */
export class Webhooks1764300840000 implements MigrationInterface {
    name = 'Webhooks1764300840000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "webhook_subscriptions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "url" text NOT NULL, "event_types" text array NOT NULL, "description" text, "status" text NOT NULL DEFAULT 'active', "disabled_reason" text, "secret_cipher" bytea NOT NULL, "previous_secret_cipher" bytea, "previous_secret_expires_at" TIMESTAMP(3) WITH TIME ZONE, "active_since" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "failing_since" TIMESTAMP(3) WITH TIME ZONE, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_webhook_subscriptions_disabled_reason" CHECK (disabled_reason IS NULL OR disabled_reason IN ('manual', 'gone', 'failing')), CONSTRAINT "ck_webhook_subscriptions_status" CHECK (status IN ('active', 'disabled')), CONSTRAINT "pk_webhook_subscriptions" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_webhook_subscriptions_created" ON "webhook_subscriptions" ("created_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_webhook_subscriptions_organization" ON "webhook_subscriptions" ("organization_id", "created_at", "id") `);
        await queryRunner.query(`CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subscription_id" uuid NOT NULL, "event_id" uuid NOT NULL, "event_seq" bigint, "event_type" text NOT NULL, "brand_id" uuid, "payload" jsonb, "status" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP(3) WITH TIME ZONE, "expires_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "locked_until" TIMESTAMP(3) WITH TIME ZONE, "last_attempt_at" TIMESTAMP(3) WITH TIME ZONE, "response_status" integer, "duration_ms" integer, "error" text, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_webhook_deliveries_status" CHECK (status IN ('pending', 'succeeded', 'retrying', 'failed')), CONSTRAINT "pk_webhook_deliveries" PRIMARY KEY ("id"))`);
        // Room on each page for the claim's update (only locked_until changes) to stay a heap-only (HOT) update.
        await queryRunner.query(`ALTER TABLE "webhook_deliveries" SET (fillfactor = 90)`);
        await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_at") WHERE status IN ('pending', 'retrying')`);
        await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_subscription" ON "webhook_deliveries" ("subscription_id", "created_at", "id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_webhook_deliveries_subscription_event" ON "webhook_deliveries" ("subscription_id", "event_seq") `);
        await queryRunner.query(`CREATE TABLE "webhook_fanout_cursor" ("id" smallint NOT NULL, "xid" bigint NOT NULL, "seq" bigint NOT NULL, "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_webhook_fanout_cursor_one_row" CHECK (id = 1), CONSTRAINT "pk_webhook_fanout_cursor" PRIMARY KEY ("id"))`);
        // The events module's function (src/events/outbox.fragments.ts, WRITING_TRANSACTION_FUNCTION_DDL), as of this migration.
        await queryRunner.query(`CREATE FUNCTION outbox_writing_xid() RETURNS bigint LANGUAGE sql VOLATILE AS $$SELECT pg_current_xact_id()::text::bigint$$`);
        await queryRunner.query(`ALTER TABLE "outbox_events" ADD "xid" bigint NOT NULL DEFAULT outbox_writing_xid()`);
        await queryRunner.query(`CREATE INDEX "ix_outbox_xid" ON "outbox_events" ("xid", "seq") `);
        await queryRunner.query(`INSERT INTO "webhook_fanout_cursor" ("id", "xid", "seq") VALUES (1, 0, 0)`);
        await queryRunner.query(`ALTER TABLE "webhook_subscriptions" ADD CONSTRAINT "fk_webhook_subscriptions_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "fk_webhook_deliveries_subscription" FOREIGN KEY ("subscription_id") REFERENCES "webhook_subscriptions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP CONSTRAINT "fk_webhook_deliveries_subscription"`);
        await queryRunner.query(`ALTER TABLE "webhook_subscriptions" DROP CONSTRAINT "fk_webhook_subscriptions_organization"`);
        await queryRunner.query(`DROP INDEX "public"."ix_outbox_xid"`);
        await queryRunner.query(`ALTER TABLE "outbox_events" DROP COLUMN "xid"`);
        await queryRunner.query(`DROP FUNCTION outbox_writing_xid()`);
        await queryRunner.query(`DROP TABLE "webhook_fanout_cursor"`);
        await queryRunner.query(`DROP INDEX "public"."ux_webhook_deliveries_subscription_event"`);
        await queryRunner.query(`DROP INDEX "public"."ix_webhook_deliveries_subscription"`);
        await queryRunner.query(`DROP INDEX "public"."ix_webhook_deliveries_due"`);
        await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
        await queryRunner.query(`DROP INDEX "public"."ix_webhook_subscriptions_organization"`);
        await queryRunner.query(`DROP INDEX "public"."ix_webhook_subscriptions_created"`);
        await queryRunner.query(`DROP TABLE "webhook_subscriptions"`);
    }

}
