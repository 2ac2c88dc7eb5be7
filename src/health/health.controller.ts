import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/auth/decorators';
import { ProblemSchema } from '../common/openapi/problems';
import { languageOf } from '../common/i18n/language';
import { msg } from '../common/i18n/message';
import { PROBLEM_MEDIA_TYPE, problemDocument } from '../common/problems/problem';
import { PROBLEM_CONTENT_TYPE } from '../common/problems/problem.filter';
import { REDIS, type RedisClient } from '../common/redis/redis';
import { DatabaseHealth } from '../database/database-health';

const CHECK_TIMEOUT_MS = 1500;
const UP_OR_DOWN = { type: 'string', enum: ['up', 'down'] };
const READINESS_CHECKS = { type: 'object', required: ['postgres', 'redis'], properties: { postgres: UP_OR_DOWN, redis: UP_OR_DOWN } };

function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref())]);
}

@ApiTags('Operations')
@ApiExtraModels(ProblemSchema)
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly database: DatabaseHealth,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  @ApiOkResponse({ schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } }, example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({ summary: 'Readiness: 200 when Postgres and Redis answer, else 503 naming what is down' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['status', 'checks'],
      properties: { status: { type: 'string', enum: ['ok'] }, checks: READINESS_CHECKS },
      example: { status: 'ok', checks: { postgres: 'up', redis: 'up' } },
    },
  })
  @ApiServiceUnavailableResponse({
    description: '`SERVICE_UNAVAILABLE` with `checks` naming the dependency that is down',
    content: { [PROBLEM_MEDIA_TYPE]: { schema: { allOf: [{ $ref: getSchemaPath(ProblemSchema) }, { type: 'object', required: ['checks'], properties: { checks: READINESS_CHECKS } }] } } },
  })
  async ready(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const [postgres, redis] = await Promise.all([
      withTimeout(this.database.ping()).then(() => 'up' as const, () => 'down' as const),
      withTimeout(this.redis.ping()).then(() => 'up' as const, () => 'down' as const),
    ]);
    const checks = { postgres, redis };
    if (postgres === 'up' && redis === 'up') {
      await reply.status(200).send({ status: 'ok', checks });
      return;
    }
    const down = Object.entries(checks).filter(([, v]) => v === 'down').map(([k]) => k);
    await reply
      .status(503)
      .type(PROBLEM_CONTENT_TYPE)
      .header('retry-after', '5')
      .send({ ...problemDocument(languageOf(request.headers['accept-language']), 'SERVICE_UNAVAILABLE', msg('error.notAnswering', { dependencies: down.join(', ') })), checks });
  }

  @Get('favicon.ico')
  @ApiExcludeEndpoint()
  favicon(@Res() reply: FastifyReply): void {
    void reply.status(204).send();
  }
}
