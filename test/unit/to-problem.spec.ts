import { QueryRunnerAlreadyReleasedError } from 'typeorm';
import { toProblem } from '../../src/common/problems/to-problem';

describe('toProblem: a dependency that went away is a 503, not a 500', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['Postgres starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ["a transaction whose connection died (TypeORM released its runner)", new QueryRunnerAlreadyReleasedError()],
  ])('%s', (_what, err) => {
    const answer = toProblem(err, 'en');
    expect(answer.document.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('1');
  });

  it('anything else unexpected stays a 500', () => {
    expect(toProblem(new Error('boom'), 'en').document.status).toBe(500);
  });
});
