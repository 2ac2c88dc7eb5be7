import { MigrationInterface, QueryRunner } from "typeorm";

export class Certifications1764300400000 implements MigrationInterface {
    name = 'Certifications1764300400000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "certifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "serial" text NOT NULL, "trainee_id" uuid NOT NULL, "brand_id" uuid NOT NULL, "occupation_code" character varying(10) NOT NULL, "occupation_name" text NOT NULL, "level" integer NOT NULL, "issuer_id" uuid NOT NULL, "issued_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "valid_until" date, "status" text NOT NULL DEFAULT 'active', "revoked_at" TIMESTAMP(3) WITH TIME ZONE, "revocation_reason" text, "revoked_by_id" uuid, "credential" text NOT NULL, "credential_key_id" text NOT NULL, "holder_name_masked" text NOT NULL, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_certifications_revocation" CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)), CONSTRAINT "ck_certifications_status" CHECK (status IN ('active', 'revoked')), CONSTRAINT "ck_certifications_level" CHECK (level BETWEEN 1 AND 5), CONSTRAINT "pk_certifications" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_certifications_brand_status" ON "certifications" ("brand_id", "status") `);
        await queryRunner.query(`CREATE INDEX "ix_certifications_trainee_issued" ON "certifications" ("trainee_id", "issued_at", "id") `);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_certifications_serial" ON "certifications" ("serial") `);
        await queryRunner.query(`ALTER TABLE "certifications" ADD CONSTRAINT "fk_certifications_trainee" FOREIGN KEY ("trainee_id") REFERENCES "trainees"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "certifications" ADD CONSTRAINT "fk_certifications_brand" FOREIGN KEY ("brand_id") REFERENCES "brands"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "certifications" ADD CONSTRAINT "fk_certifications_issuer" FOREIGN KEY ("issuer_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "certifications" ADD CONSTRAINT "fk_certifications_revoked_by" FOREIGN KEY ("revoked_by_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "certifications" DROP CONSTRAINT "fk_certifications_revoked_by"`);
        await queryRunner.query(`ALTER TABLE "certifications" DROP CONSTRAINT "fk_certifications_issuer"`);
        await queryRunner.query(`ALTER TABLE "certifications" DROP CONSTRAINT "fk_certifications_brand"`);
        await queryRunner.query(`ALTER TABLE "certifications" DROP CONSTRAINT "fk_certifications_trainee"`);
        await queryRunner.query(`DROP INDEX "public"."ux_certifications_serial"`);
        await queryRunner.query(`DROP INDEX "public"."ix_certifications_trainee_issued"`);
        await queryRunner.query(`DROP INDEX "public"."ix_certifications_brand_status"`);
        await queryRunner.query(`DROP TABLE "certifications"`);
    }

}
