import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_MEDIA_TYPE, PROBLEM_STATUS, ProblemCode } from '../problems/problem';

export class FieldErrorSchema {
  @ApiProperty({ example: 'creditCode' }) field: string;
  @ApiProperty({ example: 'INVALID_CREDIT_CODE' }) code: string;
  @ApiProperty({ example: "creditCode check character should be '3'" }) message: string;
}

export class ProblemSchema {
  @ApiProperty({ example: 'https://labor-brands.example/problems/validation-failed' }) type: string;
  @ApiProperty({ example: 'The request is not valid' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiProperty({ example: 'name: name must be a string' }) detail: string;
  @ApiProperty({ enum: Object.keys(PROBLEM_STATUS), example: 'VALIDATION_FAILED' }) code: ProblemCode;
  @ApiPropertyOptional({ type: [FieldErrorSchema] }) errors?: FieldErrorSchema[];
  @ApiPropertyOptional({ example: '/v1/organizations' }) instance?: string;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (`VALIDATION_FAILED`, `MALFORMED_JSON`, or an identifier code such as `INVALID_CREDIT_CODE`)',
  401: '`UNAUTHENTICATED`: missing, unknown or revoked API key',
  403: '`FORBIDDEN` (your organization kind may not) or `OUT_OF_JURISDICTION`',
  404: '`NOT_FOUND`: no such object, or not visible to you',
  409: 'Conflict with the object\'s state or a uniqueness rule',
  413: '`PAYLOAD_TOO_LARGE`',
  415: '`UNSUPPORTED_MEDIA_TYPE`',
  422: '`IDEMPOTENCY_KEY_REUSED`: the Idempotency-Key was used with another request',
  429: '`RATE_LIMITED`, with `Retry-After`',
  503: '`SERVICE_UNAVAILABLE`: a dependency is down; retry',
};

/** A problem response as served: `application/problem+json` (RFC 9457), never `application/json`. */
export function ApiProblem(status: number, description = DESCRIPTIONS[status] ?? 'Problem'): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiExtraModels(ProblemSchema), ApiResponse({ status, description, content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: getSchemaPath(ProblemSchema) } } } }));
}

/** Documents the problem responses of a route; each status with the codes it can carry. */
export function ApiProblems(...statuses: Array<number | [number, string]>): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((s) => (Array.isArray(s) ? ApiProblem(s[0], s[1]) : ApiProblem(s))));
}

/** Problems every authenticated route can answer. */
export const STANDARD_AUTH_PROBLEMS: number[] = [401, 429, 503];
/** Problems every authenticated POST with a JSON body can answer, on top of the above. */
export const STANDARD_POST_PROBLEMS: number[] = [400, 401, 413, 415, 422, 429, 503];
