import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../common/auth/actor';
import { AllowKinds, CurrentActor } from '../common/auth/decorators';
import { ApiProblems, STANDARD_AUTH_PROBLEMS } from '../common/openapi/problems';
import { EmptyBody } from '../common/validation/empty-body';
import { IDEMPOTENCY_HEADER } from '../common/idempotency/idempotency.openapi';
import { QUEUE_NAMES } from '../common/queue/queues';
import { FailedJobsQuery, QueueJobPage, QueueJobView } from './dto/queue-job.dto';
import { FailedJobs } from './failed-jobs';

/** The dead letters of the queues, as JSON (the `/admin/queues` dashboard shows the same to a person). */
@ApiTags('Operations')
@ApiBearerAuth()
@AllowKinds('platform')
@Controller('v1/admin/failed-jobs')
export class AdminQueuesController {
  constructor(private readonly failedJobs: FailedJobs) {}

  @Get()
  @ApiOperation({
    summary: 'Dead letters: jobs that failed every try (platform only), newest failure first',
    description: 'Failed jobs are kept 7 days. `queue` defaults to `domain-events`, whose job id is the event id and whose name is the event type.',
  })
  @ApiOkResponse({ type: QueueJobPage })
  @ApiProblems(400, 403, ...STANDARD_AUTH_PROBLEMS)
  list(@Query() query: FailedJobsQuery): Promise<QueueJobPage> {
    return this.failedJobs.list(query);
  }

  @Post(':queue/:jobId/retry')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'Retry a dead letter (platform only): back to the queue with its tries reset', description: 'No body. Audited.' })
  @ApiParam({ name: 'queue', enum: QUEUE_NAMES })
  @ApiParam({ name: 'jobId', description: 'The job id (for domain events, the event id)' })
  @ApiOkResponse({ type: QueueJobView, description: 'The job after the retry (usually `waiting`)' })
  @ApiProblems(400, 403, 404, [409, '`INVALID_TRANSITION`: the job is not failed; or `IDEMPOTENCY_IN_PROGRESS`'], 422, ...STANDARD_AUTH_PROBLEMS)
  retry(@CurrentActor() actor: Actor, @Param('queue') queue: string, @Param('jobId') jobId: string, @EmptyBody() _body: undefined): Promise<QueueJobView> {
    return this.failedJobs.retry(actor, queue, jobId);
  }
}
