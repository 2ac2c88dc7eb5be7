import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Import jobs (the trainees module's trainee-imports repository): the import with its checkpoint (rows done and
 * counters, moved in the transaction that writes each batch), its stored file as encrypted chunks (deleted when the
 * import ends; stored before the import's row, in the same transaction, hence the deferred key), and every rejected row's error (messages stored as catalogue keys, rendered in the reader's
 * language; never a value of the row).
 */
export class TraineeImports1764300850000 implements MigrationInterface {
  name = 'TraineeImports1764300850000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "trainee_imports" (
      "id" uuid NOT NULL, "brand_id" uuid NOT NULL, "actor" jsonb NOT NULL, "status" text NOT NULL DEFAULT 'queued',
      "format" text NOT NULL, "encoding" text, "file_name" text, "bytes" bigint NOT NULL, "chunks" integer NOT NULL,
      "checked_bytes" bigint NOT NULL DEFAULT 0, "total_rows" integer, "rows_done" integer NOT NULL DEFAULT 0, "received" integer NOT NULL DEFAULT 0, "created" integer NOT NULL DEFAULT 0,
      "duplicates" integer NOT NULL DEFAULT 0, "rejected" integer NOT NULL DEFAULT 0, "failure" jsonb,
      "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP(3) WITH TIME ZONE,
      "finished_at" TIMESTAMP(3) WITH TIME ZONE, "updated_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "ck_trainee_imports_status" CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
      CONSTRAINT "ck_trainee_imports_format" CHECK (format IN ('csv', 'ndjson', 'xlsx')),
      CONSTRAINT "pk_trainee_imports" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_trainee_imports_brand" ON "trainee_imports" ("brand_id", "created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "ix_trainee_imports_unfinished" ON "trainee_imports" ("updated_at") WHERE status IN ('queued', 'running')`);
    await queryRunner.query(
      `ALTER TABLE "trainee_imports" ADD CONSTRAINT "fk_trainee_imports_brand" FOREIGN KEY ("brand_id") REFERENCES "brands"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`CREATE TABLE "trainee_import_chunks" ("import_id" uuid NOT NULL, "position" integer NOT NULL, "cipher" bytea NOT NULL,
      CONSTRAINT "pk_trainee_import_chunks" PRIMARY KEY ("import_id", "position"))`);
    await queryRunner.query(
      `ALTER TABLE "trainee_import_chunks" ADD CONSTRAINT "fk_trainee_import_chunks_import" FOREIGN KEY ("import_id") REFERENCES "trainee_imports"("id") ON DELETE CASCADE ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED`,
    );
    await queryRunner.query(`CREATE TABLE "trainee_import_errors" ("import_id" uuid NOT NULL, "row" integer NOT NULL, "field" text NOT NULL, "code" text NOT NULL, "message" jsonb NOT NULL,
      CONSTRAINT "pk_trainee_import_errors" PRIMARY KEY ("import_id", "row"))`);
    await queryRunner.query(
      `ALTER TABLE "trainee_import_errors" ADD CONSTRAINT "fk_trainee_import_errors_import" FOREIGN KEY ("import_id") REFERENCES "trainee_imports"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "trainee_import_errors"`);
    await queryRunner.query(`DROP TABLE "trainee_import_chunks"`);
    await queryRunner.query(`DROP TABLE "trainee_imports"`);
  }
}
