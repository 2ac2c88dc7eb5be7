import { MigrationInterface, QueryRunner } from 'typeorm';
import { CERTIFICATION_STATUS_ENTRY_SEQUENCE } from '../src/certifications/certification.entity';

/**
 * Revocation through the W3C Bitstring Status List: the lists (each with the random key that scrambles its
 * indexes), each certificate's list and index, and the counter that hands positions out (src/certifications/
 * status-list.ts). Certificates issued before have neither: their credentials name no list.
 */
export class CredentialStatusLists1764300810000 implements MigrationInterface {
  name = 'CredentialStatusLists1764300810000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "certification_status_lists" ("list" integer NOT NULL, "permutation_key" bytea NOT NULL, "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_certification_status_lists" PRIMARY KEY ("list"))`);
    await queryRunner.query(`CREATE SEQUENCE "${CERTIFICATION_STATUS_ENTRY_SEQUENCE}" AS bigint MINVALUE 0 START WITH 0`);
    await queryRunner.query(`ALTER TABLE "certifications" ADD "status_list" integer`);
    await queryRunner.query(`ALTER TABLE "certifications" ADD "status_list_index" integer`);
    await queryRunner.query(`CREATE INDEX "ix_certifications_revoked_entries" ON "certifications" ("status_list", "status_list_index") WHERE status = 'revoked'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "ux_certifications_status_list_entry" ON "certifications" ("status_list", "status_list_index") `);
    await queryRunner.query(`ALTER TABLE "certifications" ADD CONSTRAINT "ck_certifications_status_list_entry" CHECK ((status_list IS NULL) = (status_list_index IS NULL) AND status_list_index BETWEEN 0 AND 131071)`);
    await queryRunner.query(`ALTER TABLE "certifications" ADD CONSTRAINT "fk_certifications_status_list" FOREIGN KEY ("status_list") REFERENCES "certification_status_lists"("list") ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "certifications" DROP CONSTRAINT "fk_certifications_status_list"`);
    await queryRunner.query(`ALTER TABLE "certifications" DROP CONSTRAINT "ck_certifications_status_list_entry"`);
    await queryRunner.query(`DROP INDEX "public"."ux_certifications_status_list_entry"`);
    await queryRunner.query(`DROP INDEX "public"."ix_certifications_revoked_entries"`);
    await queryRunner.query(`ALTER TABLE "certifications" DROP COLUMN "status_list_index"`);
    await queryRunner.query(`ALTER TABLE "certifications" DROP COLUMN "status_list"`);
    await queryRunner.query(`DROP SEQUENCE "${CERTIFICATION_STATUS_ENTRY_SEQUENCE}"`);
    await queryRunner.query(`DROP TABLE "certification_status_lists"`);
  }
}
