import { MigrationInterface, QueryRunner } from "typeorm";

export class RegionDisclosure1764300820000 implements MigrationInterface {
    name = 'RegionDisclosure1764300820000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        // Whether the region's salary figures may be shown without privilege, decided when they are computed, from the
        // same snapshot (complementary suppression). Null for rows computed before: decided when read until recomputed.
        await queryRunner.query(`ALTER TABLE "region_statistics" ADD "salary_disclosable" boolean`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "region_statistics" DROP COLUMN "salary_disclosable"`);
    }

}
