import type { EncryptedTable } from '../database/ciphertexts';
import { sqlLiteral } from '../database/sql';
import { AFTER_PLACEMENT_STATUS, canBePlacedSql, PLACED_STATUS } from './trainee.rules';
import { importChunkContext } from './imports/trainee-import.rules';

/**
 * What other modules' statements may do to `trainees` (owned by this module) when a whole change must be one
 * statement: the placements' one-statement confirmation and end lock, place and unplace the trainee through these.
 * Each is the SQL twin of a TraineesService method (lockPlaceable, place, unplace), built from the same rules.
 */

/** A CTE body: locks the trainee `traineeId` selects and yields its `id` when it may be placed (canBePlaced). */
export function lockPlaceableTraineeSql(traineeId: string): string {
  return `SELECT t.id FROM trainees t WHERE t.id = (${traineeId}) AND ${canBePlacedSql('t')} FOR UPDATE OF t`;
}

/** A data-modifying CTE body: the trainees `traineeIds` selects become placed. */
export function placeTraineesSql(traineeIds: string): string {
  return `UPDATE trainees SET status = ${sqlLiteral(PLACED_STATUS)}, version = version + 1, updated_at = now() WHERE id IN (${traineeIds})`;
}

/** A data-modifying CTE body: the placed trainees `traineeIds` selects are back to AFTER_PLACEMENT_STATUS (their job ended); anyone else is left as they are. */
export function unplaceTraineesSql(traineeIds: string): string {
  return `UPDATE trainees SET status = ${sqlLiteral(AFTER_PLACEMENT_STATUS)}, version = version + 1, updated_at = now()
           WHERE id IN (${traineeIds}) AND status = ${sqlLiteral(PLACED_STATUS)}`;
}

/** The associated data of a trainee's encrypted identity number and phone: one field's ciphertext never passes for another's. */
export const NATIONAL_ID_CONTEXT = 'national_id';
export const PHONE_CONTEXT = 'phone';

/** The personal data `trainees` holds encrypted, for key rotation (`npm run pii:reencrypt`). */
export const TRAINEE_CIPHERTEXTS: EncryptedTable = {
  table: 'trainees',
  key: [{ column: 'id', type: 'uuid' }],
  columns: [
    { column: 'national_id_cipher', context: () => NATIONAL_ID_CONTEXT },
    { column: 'phone_cipher', context: () => PHONE_CONTEXT },
  ],
  keyIdColumn: 'pii_key_id',
};

/** The file chunks an import keeps until it ends, for key rotation (`npm run pii:reencrypt`). */
export const TRAINEE_IMPORT_CIPHERTEXTS: EncryptedTable = {
  table: 'trainee_import_chunks',
  key: [
    { column: 'import_id', type: 'uuid' },
    { column: 'position', type: 'integer' },
  ],
  columns: [{ column: 'cipher', context: (row) => importChunkContext(String(row.import_id), Number(row.position)) }],
};

