import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Room on each page of `trainees` for a new version of its rows: a confirmation (or an end) changes a trainee's
 * status, version and time, none of them indexed, so with free space on the page the update is HOT and writes no
 * index entry (4 indexes). At the default fillfactor of 100 a quarter of them were (bench/RESULTS.md). Applies to
 * pages written from now on; a VACUUM FULL or pg_repack applies it to the rows already there.
 */
export class HotTraineeUpdates1764300870000 implements MigrationInterface {
  name = 'HotTraineeUpdates1764300870000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "trainees" SET (fillfactor = 85)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "trainees" RESET (fillfactor)`);
  }
}
