import { MigrationInterface, QueryRunner } from "typeorm";

export class Brands1764300100000 implements MigrationInterface {
    name = 'Brands1764300100000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "brands" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "occupation_code" character varying(10) NOT NULL, "occupation_name" text NOT NULL, "sector" text NOT NULL, "region_code" character(6) NOT NULL, "operator_id" uuid NOT NULL, "description" text, "status" text NOT NULL DEFAULT 'draft', "status_reason" text, "level" text, "certified_by_id" uuid, "certified_at" TIMESTAMP(3) WITH TIME ZONE, "valid_until" date, "version" integer NOT NULL DEFAULT '1', "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_brands_level" CHECK (level IS NULL OR level IN ('national', 'provincial', 'municipal', 'district')), CONSTRAINT "ck_brands_status" CHECK (status IN ('draft', 'submitted', 'certified', 'suspended', 'revoked', 'expired')), CONSTRAINT "pk_brands" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_brands_expiry" ON "brands" ("valid_until") WHERE status IN ('certified', 'suspended')`);
        await queryRunner.query(`CREATE INDEX "ix_brands_occupation" ON "brands" ("occupation_code", "created_at") `);
        await queryRunner.query(`CREATE INDEX "ix_brands_operator" ON "brands" ("operator_id", "created_at") `);
        await queryRunner.query(`CREATE INDEX "ix_brands_region" ON "brands" ("region_code", "created_at") `);
        await queryRunner.query(`CREATE INDEX "ix_brands_status_created" ON "brands" ("status", "created_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_brands_created" ON "brands" ("created_at", "id") `);
        await queryRunner.query(`CREATE TABLE "brand_decisions" ("seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "id" uuid NOT NULL DEFAULT gen_random_uuid(), "brand_id" uuid NOT NULL, "action" text NOT NULL, "from_status" text, "to_status" text NOT NULL, "actor_organization_id" uuid, "actor_api_key_id" uuid, "reason" text, "at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_brand_decisions" PRIMARY KEY ("seq"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "ux_brand_decisions_id" ON "brand_decisions" ("id") `);
        await queryRunner.query(`CREATE INDEX "ix_brand_decisions_brand" ON "brand_decisions" ("brand_id", "seq") `);
        await queryRunner.query(`ALTER TABLE "brands" ADD CONSTRAINT "fk_brands_operator" FOREIGN KEY ("operator_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "brands" ADD CONSTRAINT "fk_brands_certified_by" FOREIGN KEY ("certified_by_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "brand_decisions" ADD CONSTRAINT "fk_brand_decisions_brand" FOREIGN KEY ("brand_id") REFERENCES "brands"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        // Trigram index for `q`: ILIKE '%word%' on names, Chinese included (pg_trgm, created by the foundation).
        await queryRunner.query(`CREATE INDEX "ix_brands_name_trgm" ON "brands" USING gin ("name" gin_trgm_ops)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_brands_name_trgm"`);
        await queryRunner.query(`ALTER TABLE "brand_decisions" DROP CONSTRAINT "fk_brand_decisions_brand"`);
        await queryRunner.query(`ALTER TABLE "brands" DROP CONSTRAINT "fk_brands_certified_by"`);
        await queryRunner.query(`ALTER TABLE "brands" DROP CONSTRAINT "fk_brands_operator"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brand_decisions_brand"`);
        await queryRunner.query(`DROP INDEX "public"."ux_brand_decisions_id"`);
        await queryRunner.query(`DROP TABLE "brand_decisions"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brands_created"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brands_status_created"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brands_region"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brands_operator"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brands_occupation"`);
        await queryRunner.query(`DROP INDEX "public"."ix_brands_expiry"`);
        await queryRunner.query(`DROP TABLE "brands"`);
    }

}
