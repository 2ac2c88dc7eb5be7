import { MigrationInterface, QueryRunner } from "typeorm";

export class Trainees1764300200000 implements MigrationInterface {
    name = 'Trainees1764300200000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "trainees" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "brand_id" uuid NOT NULL, "full_name" text, "national_id_cipher" bytea, "national_id_hash" bytea, "national_id_masked" text, "phone_cipher" bytea, "phone_masked" text, "pii_key_id" text, "birth_date" date, "gender" text, "target_groups" text array NOT NULL DEFAULT '{}', "cohort" text, "expected_monthly_salary_fen" bigint, "status" text NOT NULL DEFAULT 'registered', "erased" boolean NOT NULL DEFAULT false, "erased_at" TIMESTAMP(3) WITH TIME ZONE, "version" integer NOT NULL DEFAULT '1', "registered_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_trainees_gender" CHECK (gender IS NULL OR gender IN ('male', 'female')), CONSTRAINT "ck_trainees_status" CHECK (status IN ('registered', 'training', 'completed', 'placed', 'withdrawn')), CONSTRAINT "pk_trainees" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_trainees_brand_registered" ON "trainees" ("brand_id", "registered_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_trainees_person" ON "trainees" ("national_id_hash") WHERE national_id_hash IS NOT NULL`);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_trainees_brand_person" ON "trainees" ("brand_id", "national_id_hash") WHERE national_id_hash IS NOT NULL`);
        await queryRunner.query(`ALTER TABLE "trainees" ADD CONSTRAINT "fk_trainees_brand" FOREIGN KEY ("brand_id") REFERENCES "brands"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "trainees" DROP CONSTRAINT "fk_trainees_brand"`);
        await queryRunner.query(`DROP INDEX "public"."ux_trainees_brand_person"`);
        await queryRunner.query(`DROP INDEX "public"."ix_trainees_person"`);
        await queryRunner.query(`DROP INDEX "public"."ix_trainees_brand_registered"`);
        await queryRunner.query(`DROP TABLE "trainees"`);
    }

}
