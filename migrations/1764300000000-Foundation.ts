import { MigrationInterface, QueryRunner } from "typeorm";

export class Foundation1764300000000 implements MigrationInterface {
    name = 'Foundation1764300000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // pg_trgm serves the brand-name search of later migrations; created here so one superuser step covers all.
        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
        await queryRunner.query(`CREATE TABLE "audit_log" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "actor_organization_id" uuid, "actor_api_key_id" uuid, "action" text NOT NULL, "object_type" text NOT NULL, "object_id" text, "brand_id" uuid, "details" jsonb NOT NULL DEFAULT '{}'::jsonb, CONSTRAINT "pk_audit_log" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_actor" ON "audit_log" ("actor_organization_id", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_object" ON "audit_log" ("object_type", "object_id", "id") `);
        await queryRunner.query(`CREATE TABLE "outbox_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" BIGSERIAL NOT NULL, "brand_id" uuid, "aggregate_type" text NOT NULL, "aggregate_id" uuid NOT NULL, "type" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}'::jsonb, "actor_organization_id" uuid, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "delivered_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_outbox_events" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_outbox_seq" ON "outbox_events" ("seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_aggregate" ON "outbox_events" ("aggregate_id", "seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_undelivered" ON "outbox_events" ("seq") WHERE delivered_at IS NULL`);
        await queryRunner.query(`CREATE TABLE "idempotency_keys" ("api_key_id" uuid NOT NULL, "key" text NOT NULL, "request_hash" bytea NOT NULL, "state" text NOT NULL, "response_status" integer, "response_body" jsonb, "response_headers" jsonb, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "ck_idempotency_keys_state" CHECK (state IN ('in_progress', 'completed')), CONSTRAINT "pk_idempotency_keys" PRIMARY KEY ("api_key_id", "key"))`);
        await queryRunner.query(`CREATE INDEX "ix_idempotency_keys_created" ON "idempotency_keys" ("created_at") `);
        await queryRunner.query(`CREATE TABLE "organizations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" text NOT NULL, "name" text NOT NULL, "credit_code" character(18) NOT NULL, "region_code" character(6) NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_organizations_kind" CHECK (kind IN ('platform', 'bureau', 'hr_firm', 'employer')), CONSTRAINT "pk_organizations" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_organizations_credit_code" ON "organizations" ("credit_code") `);
        await queryRunner.query(`CREATE INDEX "ix_organizations_created" ON "organizations" ("created_at", "id") `);
        await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "secret_hash" bytea NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "last_used_at" TIMESTAMP(3) WITH TIME ZONE, "revoked_at" TIMESTAMP(3) WITH TIME ZONE, CONSTRAINT "pk_api_keys" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_api_keys_secret_hash" ON "api_keys" ("secret_hash") `);
        await queryRunner.query(`CREATE INDEX "ix_api_keys_organization" ON "api_keys" ("organization_id", "created_at") `);
        await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "fk_api_keys_organization" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        // The audit log is append-only: not even the application's own role may rewrite history.
        await queryRunner.query(`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege'; END $$`);
        await queryRunner.query(`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER audit_log_append_only ON "audit_log"`);
        await queryRunner.query(`DROP FUNCTION audit_log_append_only()`);
        await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys_organization"`);
        await queryRunner.query(`DROP INDEX "public"."ix_api_keys_organization"`);
        await queryRunner.query(`DROP INDEX "public"."ux_api_keys_secret_hash"`);
        await queryRunner.query(`DROP TABLE "api_keys"`);
        await queryRunner.query(`DROP INDEX "public"."ix_organizations_created"`);
        await queryRunner.query(`DROP INDEX "public"."ux_organizations_credit_code"`);
        await queryRunner.query(`DROP TABLE "organizations"`);
        await queryRunner.query(`DROP INDEX "public"."ix_idempotency_keys_created"`);
        await queryRunner.query(`DROP TABLE "idempotency_keys"`);
        await queryRunner.query(`DROP INDEX "public"."ix_outbox_undelivered"`);
        await queryRunner.query(`DROP INDEX "public"."ix_outbox_aggregate"`);
        await queryRunner.query(`DROP INDEX "public"."ux_outbox_seq"`);
        await queryRunner.query(`DROP TABLE "outbox_events"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_log_object"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_log_actor"`);
        await queryRunner.query(`DROP TABLE "audit_log"`);
    }

}
