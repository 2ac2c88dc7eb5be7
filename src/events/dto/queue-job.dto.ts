import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageOf, PageQuery } from '../../common/pagination/pagination';
import { QUEUE_NAMES, QUEUES, type QueueName } from '../../common/queue/queues';

export class FailedJobsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: QUEUE_NAMES, default: QUEUES.domainEvents, description: 'The queue whose dead letters to list' })
  @IsOptional()
  @IsIn(QUEUE_NAMES)
  queue?: QueueName;
}

export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed', 'unknown'] as const;

export class QueueJobView {
  @ApiProperty({ description: 'Job id; for domain events, the event id', example: '0b6f0f7e-5d55-4c8e-9e55-8f3f4a1f2b11' }) id: string;
  @ApiProperty({ enum: QUEUE_NAMES }) queue: string;
  @ApiProperty({ description: 'Job name; for domain events, the event type', example: 'placement.confirmed' }) name: string;
  @ApiProperty({ enum: JOB_STATES }) state: string;
  @ApiProperty({ nullable: true, type: String, description: 'Message of the last failure' }) failedReason: string | null;
  @ApiProperty({ description: 'Tries made so far' }) attemptsMade: number;
  @ApiProperty({ description: 'Tries allowed before the job becomes a dead letter' }) attempts: number;
  @ApiProperty({ format: 'date-time', description: 'When the job was added' }) timestamp: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When the job last finished (failed or completed)' }) finishedAt: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The payload; for domain events a DomainEventJob (ids and facts, no personal data)' })
  data: Record<string, unknown>;
}

export class QueueJobPage extends PageOf(QueueJobView) {}
