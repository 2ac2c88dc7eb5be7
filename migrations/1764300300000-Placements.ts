import { MigrationInterface, QueryRunner } from "typeorm";

export class Placements1764300300000 implements MigrationInterface {
    name = 'Placements1764300300000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "placements" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "trainee_id" uuid NOT NULL, "brand_id" uuid NOT NULL, "employer_id" uuid NOT NULL, "proposed_by_id" uuid NOT NULL, "job_title" text NOT NULL, "occupation_code" character varying(10), "work_region_code" character(6) NOT NULL, "salary_fen" bigint NOT NULL, "salary_period" text NOT NULL, "annual_salary_fen" bigint NOT NULL, "start_date" date NOT NULL, "status" text NOT NULL DEFAULT 'proposed', "confirmed_at" TIMESTAMP(3) WITH TIME ZONE, "closed_at" TIMESTAMP(3) WITH TIME ZONE, "reject_reason" text, "end_date" date, "ended_at" TIMESTAMP(3) WITH TIME ZONE, "end_reason" text, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_placements_salary" CHECK (salary_fen > 0 AND annual_salary_fen > 0), CONSTRAINT "ck_placements_salary_period" CHECK (salary_period IN ('monthly', 'annual')), CONSTRAINT "ck_placements_status" CHECK (status IN ('proposed', 'confirmed', 'rejected', 'withdrawn', 'ended')), CONSTRAINT "pk_placements" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_placements_active_salary" ON "placements" ("brand_id", "annual_salary_fen") WHERE status = 'confirmed'`);
        await queryRunner.query(`CREATE INDEX "ix_placements_created" ON "placements" ("created_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_placements_employer_created" ON "placements" ("employer_id", "created_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_placements_brand_created" ON "placements" ("brand_id", "created_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_placements_trainee" ON "placements" ("trainee_id", "created_at") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_placements_open_per_trainee" ON "placements" ("trainee_id") WHERE status IN ('proposed', 'confirmed')`);
        await queryRunner.query(`CREATE TABLE "placement_salary_changes" ("seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "placement_id" uuid NOT NULL, "brand_id" uuid NOT NULL, "salary_fen" bigint NOT NULL, "salary_period" text NOT NULL, "annual_salary_fen" bigint NOT NULL, "effective_date" date NOT NULL, "actor_organization_id" uuid, "recorded_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_placement_salary_changes" PRIMARY KEY ("seq"))`);
        await queryRunner.query(`CREATE INDEX "ix_placement_salary_changes_placement" ON "placement_salary_changes" ("placement_id", "seq") `);
        await queryRunner.query(`ALTER TABLE "placements" ADD CONSTRAINT "fk_placements_trainee" FOREIGN KEY ("trainee_id") REFERENCES "trainees"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "placements" ADD CONSTRAINT "fk_placements_brand" FOREIGN KEY ("brand_id") REFERENCES "brands"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "placements" ADD CONSTRAINT "fk_placements_employer" FOREIGN KEY ("employer_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "placements" ADD CONSTRAINT "fk_placements_proposed_by" FOREIGN KEY ("proposed_by_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "placement_salary_changes" ADD CONSTRAINT "fk_placement_salary_changes_placement" FOREIGN KEY ("placement_id") REFERENCES "placements"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "placement_salary_changes" DROP CONSTRAINT "fk_placement_salary_changes_placement"`);
        await queryRunner.query(`ALTER TABLE "placements" DROP CONSTRAINT "fk_placements_proposed_by"`);
        await queryRunner.query(`ALTER TABLE "placements" DROP CONSTRAINT "fk_placements_employer"`);
        await queryRunner.query(`ALTER TABLE "placements" DROP CONSTRAINT "fk_placements_brand"`);
        await queryRunner.query(`ALTER TABLE "placements" DROP CONSTRAINT "fk_placements_trainee"`);
        await queryRunner.query(`DROP INDEX "public"."ix_placement_salary_changes_placement"`);
        await queryRunner.query(`DROP TABLE "placement_salary_changes"`);
        await queryRunner.query(`DROP INDEX "public"."ux_placements_open_per_trainee"`);
        await queryRunner.query(`DROP INDEX "public"."ix_placements_trainee"`);
        await queryRunner.query(`DROP INDEX "public"."ix_placements_brand_created"`);
        await queryRunner.query(`DROP INDEX "public"."ix_placements_employer_created"`);
        await queryRunner.query(`DROP INDEX "public"."ix_placements_created"`);
        await queryRunner.query(`DROP INDEX "public"."ix_placements_active_salary"`);
        await queryRunner.query(`DROP TABLE "placements"`);
    }

}
