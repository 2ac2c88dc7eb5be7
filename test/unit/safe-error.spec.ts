import { QueryFailedError } from 'typeorm';
import { safeError, safeMessage } from '../../src/common/logging/logger';

describe('errors as they may be logged', () => {
  // What node-postgres and TypeORM hand over when a statement fails: the query, its parameters and the row detail.
  const nationalId = '31010419980315002X';
  const driverError = Object.assign(new Error(`invalid input syntax for type bigint: "${nationalId}"`), {
    code: '22P02',
    detail: `Key (national_id_hash)=(${nationalId}) already exists.`,
  });
  const failed = new QueryFailedError('SELECT * FROM trainees WHERE national_id_hash = $1', [nationalId, '13812345678'], driverError);

  it('keeps the type, the SQLSTATE and the stack', () => {
    const logged = safeError(failed);
    expect(logged).toMatchObject({ type: 'QueryFailedError', code: '22P02' });
    expect(logged.message).toBe('invalid input syntax for type bigint: "…"');
    expect(String(logged.stack)).toContain('safe-error.spec.ts');
  });

  it('leaves out the parameters, the row detail and the values a message quotes', () => {
    for (const logged of [JSON.stringify(safeError(failed)), safeMessage(failed), safeMessage(driverError)]) {
      expect(logged).not.toContain(nationalId);
      expect(logged).not.toContain('13812345678');
      expect(logged).not.toContain('national_id_hash = $1');
    }
    expect(safeMessage(new Error('Key (phone)=(13812345678) is duplicated'))).toBe('Key (…)=(…) is duplicated');
  });

  it('logs what is not an Error as a short string', () => {
    expect(safeError('x'.repeat(500)).message).toHaveLength(200);
  });
});
