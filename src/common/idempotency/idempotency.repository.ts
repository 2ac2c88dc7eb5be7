import { Injectable } from '@nestjs/common';
import type { EncryptedTable } from '../../database/ciphertexts';
import { Db, Repository } from '../../database/repository';
import { returnedRows } from '../../database/transactions';

/** AES-GCM associated data of stored responses: their ciphertexts cannot pass for any other field's. */
export const STORED_RESPONSE_CONTEXT = 'idempotency_response';

/** Stored responses are encrypted (they may show personal data): re-encrypted on key rotation (`npm run pii:reencrypt`). */
export const IDEMPOTENCY_CIPHERTEXTS: EncryptedTable = {
  table: 'idempotency_keys',
  key: [
    { column: 'api_key_id', type: 'uuid' },
    { column: 'key', type: 'text' },
  ],
  columns: [{ column: 'response_cipher', context: () => STORED_RESPONSE_CONTEXT }],
};

export interface StoredIdempotencyRecord {
  requestHash: Buffer;
  state: 'in_progress' | 'completed';
  responseStatus: number;
  responseCipher: Buffer | null;
  responseHeaders: Record<string, string> | null;
}

/** The only code that touches `idempotency_keys`: the first response to a POST sent with an Idempotency-Key. */
@Injectable()
export class IdempotencyRepository extends Repository {
  /**
   * Takes the key for a new request: a fresh key, one past its replay window, or one left `in_progress` by a
   * request that died more than `abandonedAfterMinutes` ago. False when another request holds it.
   */
  async take(apiKeyId: string, key: string, requestHash: Buffer, ttlHours: number, abandonedAfterMinutes: number): Promise<boolean> {
    const taken: unknown[] = await this.db().query(
      `INSERT INTO idempotency_keys (api_key_id, key, request_hash, state) VALUES ($1, $2, $3, 'in_progress')
       ON CONFLICT (api_key_id, key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, state = 'in_progress', response_status = NULL,
              response_cipher = NULL, resource_ids = '{}', response_headers = NULL, created_at = now(), completed_at = NULL
        WHERE idempotency_keys.created_at < now() - make_interval(hours => $4)
           OR (idempotency_keys.state = 'in_progress' AND idempotency_keys.created_at < now() - make_interval(mins => $5))
       RETURNING 1`,
      [apiKeyId, key, requestHash, ttlHours, abandonedAfterMinutes],
    );
    return taken.length > 0;
  }

  async find(apiKeyId: string, key: string): Promise<StoredIdempotencyRecord | null> {
    const rows: StoredIdempotencyRecord[] = await this.db().query(
      `SELECT request_hash AS "requestHash", state, response_status AS "responseStatus", response_cipher AS "responseCipher",
              response_headers AS "responseHeaders"
         FROM idempotency_keys WHERE api_key_id = $1 AND key = $2`,
      [apiKeyId, key],
    );
    return rows[0] ?? null;
  }

  /** `requestHash`, when given, replaces the provisional one taken before a streamed body had been read. */
  async complete(apiKeyId: string, key: string, response: { status: number; cipher: Buffer | null; resourceIds: string[]; headers: Record<string, string>; requestHash?: Buffer }): Promise<void> {
    await this.db().query(
      `UPDATE idempotency_keys SET state = 'completed', response_status = $3, response_cipher = $4, resource_ids = $5::uuid[],
              response_headers = $6, completed_at = now(), request_hash = coalesce($7, request_hash)
        WHERE api_key_id = $1 AND key = $2`,
      [apiKeyId, key, response.status, response.cipher, response.resourceIds, response.headers, response.requestHash ?? null],
    );
  }

  async forget(apiKeyId: string, key: string): Promise<void> {
    await this.db().query(`DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2`, [apiKeyId, key]);
  }

  /** Stored responses that show this object (an erased person, say), in the caller's transaction. */
  async forgetResponsesShowing(m: Db, resourceId: string): Promise<void> {
    await m.query(`DELETE FROM idempotency_keys WHERE resource_ids @> ARRAY[$1]::uuid[]`, [resourceId]);
  }

  /** Deletes up to `batch` records past their replay window; answers how many. */
  async purgeExpired(ttlHours: number, batch: number): Promise<number> {
    const rows = returnedRows<unknown>(
      await this.db().query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) LIMIT $2)
         RETURNING 1`,
        [ttlHours, batch],
      ),
    );
    return rows.length;
  }
}
