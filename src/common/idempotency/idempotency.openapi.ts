import { ApiHeader } from '@nestjs/swagger';

/** Documents the `Idempotency-Key` header every POST takes (the interceptor applies it to all of them). */
export const IDEMPOTENCY_HEADER = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description: 'Makes a retried POST safe: the same key and body within 24 h return the first response (`Idempotent-Replayed: true`); another body: 422; still running: 409.',
});
