import { MigrationInterface, QueryRunner } from "typeorm";

export class Statistics1764300500000 implements MigrationInterface {
    name = 'Statistics1764300500000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "brand_statistics" ("brand_id" uuid NOT NULL, "region_code" character(6) NOT NULL, "occupation_code" character varying(10) NOT NULL, "is_public" boolean NOT NULL, "trainee_count" integer NOT NULL, "trainees_by_status" jsonb NOT NULL, "certified_trainee_count" integer NOT NULL, "certification_rate" double precision, "placed_trainee_count" integer NOT NULL, "placement_rate" double precision, "active_placement_count" integer NOT NULL, "ended_placement_count" integer NOT NULL, "employer_count" integer NOT NULL, "salary_sample_size" integer NOT NULL, "median_annual_fen" bigint, "p25_annual_fen" bigint, "p75_annual_fen" bigint, "mean_annual_fen" bigint, "median_salary_uplift_pct" double precision, "median_days_to_placement" double precision, "retention6m_rate" double precision, "retention12m_rate" double precision, "as_of" TIMESTAMP(3) WITH TIME ZONE, "computed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_event_id" uuid, "last_event_seq" bigint NOT NULL DEFAULT '0', CONSTRAINT "pk_brand_statistics" PRIMARY KEY ("brand_id"))`);
        await queryRunner.query(`CREATE INDEX "ix_brand_statistics_region" ON "brand_statistics" ("region_code") `);
        await queryRunner.query(`CREATE TABLE "region_statistics" ("region_code" character(6) NOT NULL, "brand_count" integer NOT NULL, "trainee_count" integer NOT NULL, "placed_trainee_count" integer NOT NULL, "active_placement_count" integer NOT NULL, "salary_sample_size" integer NOT NULL, "median_annual_fen" bigint, "p25_annual_fen" bigint, "p75_annual_fen" bigint, "mean_annual_fen" bigint, "as_of" TIMESTAMP(3) WITH TIME ZONE, "computed_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, CONSTRAINT "pk_region_statistics" PRIMARY KEY ("region_code"))`);
        await queryRunner.query(`CREATE INDEX "ix_outbox_brand" ON "outbox_events" ("brand_id", "seq") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_outbox_brand"`);
        await queryRunner.query(`DROP TABLE "region_statistics"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brand_statistics_region"`);
        await queryRunner.query(`DROP TABLE "brand_statistics"`);
    }

}
