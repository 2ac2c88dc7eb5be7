import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `outbox_events` and `audit_log` partitioned by month (declarative range partitioning on `occurred_at`, UTC months),
 * so that an old month leaves as a whole: written to an archive, detached and dropped (`npm run archive`) instead of a
 * long DELETE, which the audit log's append-only trigger forbids anyway.
 *
 * Each table is rebuilt: the old one is renamed, a partitioned one made in its place with a partition for every month
 * from its oldest row to two months ahead and a default partition for anything else, the rows copied, the old table
 * dropped, then the keys and indexes built over the partitions. Sequences carry on where they were.
 *
 * - A primary key of a partitioned table must contain the partition key: (id, occurred_at). Ids stay unique in
 *   practice (random UUIDs, the identity sequence), and `seq` keeps a plain index since a unique one across
 *   partitions would have to include occurred_at too and would promise nothing more than the sequence already does.
 * - No foreign key points into either table (webhook deliveries name an event by id and seq, with no constraint, and
 *   cope with an archived event), so none needs replacing.
 * - Append-only: the statement trigger on the parent refuses UPDATE, DELETE and TRUNCATE through `audit_log`; a row
 *   trigger, which Postgres copies onto every partition, also refuses UPDATE and DELETE of rows addressed to a
 *   partition directly. Detaching and dropping a whole archived month stays possible (the archive command).
 *
 * Partition names are `<table>_yYYYYmMM` and `<table>_default`, as src/database/months.ts names them.
 */
export class MonthPartitions1764300860000 implements MigrationInterface {
    name = 'MonthPartitions1764300860000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // Outbox.
        await queryRunner.query(`ALTER TABLE "outbox_events" RENAME TO "outbox_events_unpartitioned"`);
        await queryRunner.query(`ALTER SEQUENCE "outbox_events_seq_seq" OWNED BY NONE`);
        await queryRunner.query(`CREATE TABLE "outbox_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" bigint NOT NULL DEFAULT nextval('outbox_events_seq_seq'), "brand_id" uuid, "aggregate_type" text NOT NULL, "aggregate_id" uuid NOT NULL, "type" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}'::jsonb, "actor_organization_id" uuid, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "delivered_at" TIMESTAMP(3) WITH TIME ZONE, "xid" bigint NOT NULL DEFAULT outbox_writing_xid()) PARTITION BY RANGE ("occurred_at")`);
        await this.makePartitions(queryRunner, 'outbox_events', 'outbox_events_unpartitioned');
        await queryRunner.query(`INSERT INTO "outbox_events" ("id", "seq", "brand_id", "aggregate_type", "aggregate_id", "type", "data", "actor_organization_id", "occurred_at", "delivered_at", "xid") SELECT "id", "seq", "brand_id", "aggregate_type", "aggregate_id", "type", "data", "actor_organization_id", "occurred_at", "delivered_at", "xid" FROM "outbox_events_unpartitioned"`);
        await queryRunner.query(`DROP TABLE "outbox_events_unpartitioned"`);
        await queryRunner.query(`ALTER SEQUENCE "outbox_events_seq_seq" OWNED BY "outbox_events"."seq"`);
        await queryRunner.query(`ALTER TABLE "outbox_events" ADD CONSTRAINT "pk_outbox_events" PRIMARY KEY ("id", "occurred_at")`);
        await queryRunner.query(`CREATE INDEX "ix_outbox_seq" ON "outbox_events" ("seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_aggregate" ON "outbox_events" ("aggregate_id", "seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_undelivered" ON "outbox_events" ("seq") WHERE delivered_at IS NULL`);
        await queryRunner.query(`CREATE INDEX "ix_outbox_brand" ON "outbox_events" ("brand_id", "seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_xid" ON "outbox_events" ("xid", "seq") `);

        // Audit log.
        await queryRunner.query(`ALTER TABLE "audit_log" RENAME TO "audit_log_unpartitioned"`);
        await queryRunner.query(`ALTER SEQUENCE "audit_log_id_seq" RENAME TO "audit_log_unpartitioned_id_seq"`);
        await queryRunner.query(`CREATE TABLE "audit_log" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "actor_organization_id" uuid, "actor_api_key_id" uuid, "action" text NOT NULL, "object_type" text NOT NULL, "object_id" text, "brand_id" uuid, "details" jsonb NOT NULL DEFAULT '{}'::jsonb) PARTITION BY RANGE ("occurred_at")`);
        await this.makePartitions(queryRunner, 'audit_log', 'audit_log_unpartitioned');
        await queryRunner.query(`INSERT INTO "audit_log" ("id", "occurred_at", "actor_organization_id", "actor_api_key_id", "action", "object_type", "object_id", "brand_id", "details") OVERRIDING SYSTEM VALUE SELECT "id", "occurred_at", "actor_organization_id", "actor_api_key_id", "action", "object_type", "object_id", "brand_id", "details" FROM "audit_log_unpartitioned"`);
        await queryRunner.query(`SELECT setval(pg_get_serial_sequence('audit_log', 'id'), last_value, is_called) FROM "audit_log_unpartitioned_id_seq"`);
        await queryRunner.query(`DROP TABLE "audit_log_unpartitioned"`);
        await queryRunner.query(`ALTER TABLE "audit_log" ADD CONSTRAINT "pk_audit_log" PRIMARY KEY ("id", "occurred_at")`);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_actor" ON "audit_log" ("actor_organization_id", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_object" ON "audit_log" ("object_type", "object_id", "id") `);
        await queryRunner.query(`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);
        await queryRunner.query(`CREATE TRIGGER audit_log_append_only_rows BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
    }

    /** A partition per month (UTC) from the oldest row of `source` (or now) to two months ahead, and the default. */
    private async makePartitions(queryRunner: QueryRunner, table: string, source: string): Promise<void> {
        await queryRunner.query(`DO $$
            DECLARE month date;
            BEGIN
                FOR month IN
                    SELECT generate_series(
                        date_trunc('month', LEAST(COALESCE((SELECT min(occurred_at) FROM "${source}"), now()), now()) AT TIME ZONE 'UTC'),
                        date_trunc('month', now() AT TIME ZONE 'UTC') + interval '2 months',
                        interval '1 month')::date
                LOOP
                    EXECUTE format('CREATE TABLE %I PARTITION OF "${table}" FOR VALUES FROM (%L) TO (%L)',
                        '${table}_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM'),
                        to_char(month, 'YYYY-MM-DD') || ' 00:00:00+00',
                        to_char(month + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
                END LOOP;
            END $$`);
        await queryRunner.query(`CREATE TABLE "${table}_default" PARTITION OF "${table}" DEFAULT`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // Audit log: back to one table, every partition's rows (the default's included) copied.
        await queryRunner.query(`ALTER TABLE "audit_log" RENAME TO "audit_log_partitioned"`);
        await queryRunner.query(`ALTER TABLE "audit_log_partitioned" RENAME CONSTRAINT "pk_audit_log" TO "pk_audit_log_partitioned"`);
        await queryRunner.query(`ALTER INDEX "ix_audit_log_actor" RENAME TO "ix_audit_log_actor_partitioned"`);
        await queryRunner.query(`ALTER INDEX "ix_audit_log_object" RENAME TO "ix_audit_log_object_partitioned"`);
        await queryRunner.query(`ALTER SEQUENCE "audit_log_id_seq" RENAME TO "audit_log_partitioned_id_seq"`);
        await queryRunner.query(`CREATE TABLE "audit_log" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "actor_organization_id" uuid, "actor_api_key_id" uuid, "action" text NOT NULL, "object_type" text NOT NULL, "object_id" text, "brand_id" uuid, "details" jsonb NOT NULL DEFAULT '{}'::jsonb, CONSTRAINT "pk_audit_log" PRIMARY KEY ("id"))`);
        await queryRunner.query(`INSERT INTO "audit_log" ("id", "occurred_at", "actor_organization_id", "actor_api_key_id", "action", "object_type", "object_id", "brand_id", "details") OVERRIDING SYSTEM VALUE SELECT "id", "occurred_at", "actor_organization_id", "actor_api_key_id", "action", "object_type", "object_id", "brand_id", "details" FROM "audit_log_partitioned"`);
        await queryRunner.query(`SELECT setval(pg_get_serial_sequence('audit_log', 'id'), last_value, is_called) FROM "audit_log_partitioned_id_seq"`);
        await queryRunner.query(`DROP TABLE "audit_log_partitioned"`);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_actor" ON "audit_log" ("actor_organization_id", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_object" ON "audit_log" ("object_type", "object_id", "id") `);
        await queryRunner.query(`CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`);

        // Outbox.
        await queryRunner.query(`ALTER TABLE "outbox_events" RENAME TO "outbox_events_partitioned"`);
        await queryRunner.query(`ALTER TABLE "outbox_events_partitioned" RENAME CONSTRAINT "pk_outbox_events" TO "pk_outbox_events_partitioned"`);
        for (const index of ['ix_outbox_seq', 'ix_outbox_aggregate', 'ix_outbox_undelivered', 'ix_outbox_brand', 'ix_outbox_xid']) {
            await queryRunner.query(`ALTER INDEX "${index}" RENAME TO "${index}_partitioned"`);
        }
        await queryRunner.query(`ALTER SEQUENCE "outbox_events_seq_seq" OWNED BY NONE`);
        await queryRunner.query(`CREATE TABLE "outbox_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" bigint NOT NULL DEFAULT nextval('outbox_events_seq_seq'), "brand_id" uuid, "aggregate_type" text NOT NULL, "aggregate_id" uuid NOT NULL, "type" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}'::jsonb, "actor_organization_id" uuid, "occurred_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "delivered_at" TIMESTAMP(3) WITH TIME ZONE, "xid" bigint NOT NULL DEFAULT outbox_writing_xid(), CONSTRAINT "pk_outbox_events" PRIMARY KEY ("id"))`);
        await queryRunner.query(`INSERT INTO "outbox_events" ("id", "seq", "brand_id", "aggregate_type", "aggregate_id", "type", "data", "actor_organization_id", "occurred_at", "delivered_at", "xid") SELECT "id", "seq", "brand_id", "aggregate_type", "aggregate_id", "type", "data", "actor_organization_id", "occurred_at", "delivered_at", "xid" FROM "outbox_events_partitioned"`);
        await queryRunner.query(`DROP TABLE "outbox_events_partitioned"`);
        await queryRunner.query(`ALTER SEQUENCE "outbox_events_seq_seq" OWNED BY "outbox_events"."seq"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_outbox_seq" ON "outbox_events" ("seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_aggregate" ON "outbox_events" ("aggregate_id", "seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_undelivered" ON "outbox_events" ("seq") WHERE delivered_at IS NULL`);
        await queryRunner.query(`CREATE INDEX "ix_outbox_brand" ON "outbox_events" ("brand_id", "seq") `);
        await queryRunner.query(`CREATE INDEX "ix_outbox_xid" ON "outbox_events" ("xid", "seq") `);
    }

}
