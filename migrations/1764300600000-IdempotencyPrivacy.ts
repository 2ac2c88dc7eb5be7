import { MigrationInterface, QueryRunner } from "typeorm";

export class IdempotencyPrivacy1764300600000 implements MigrationInterface {
    name = 'IdempotencyPrivacy1764300600000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "idempotency_keys" DROP COLUMN "response_body"`);
        await queryRunner.query(`ALTER TABLE "idempotency_keys" ADD "response_cipher" bytea`);
        await queryRunner.query(`ALTER TABLE "idempotency_keys" ADD "resource_ids" uuid array NOT NULL DEFAULT '{}'`);
        // Stored responses may show personal data: kept encrypted, and found by the ids they show when a person is erased.
        await queryRunner.query(`CREATE INDEX "ix_idempotency_keys_resources" ON "idempotency_keys" USING gin ("resource_ids")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_idempotency_keys_resources"`);
        await queryRunner.query(`ALTER TABLE "idempotency_keys" DROP COLUMN "resource_ids"`);
        await queryRunner.query(`ALTER TABLE "idempotency_keys" DROP COLUMN "response_cipher"`);
        await queryRunner.query(`ALTER TABLE "idempotency_keys" ADD "response_body" jsonb`);
    }

}
