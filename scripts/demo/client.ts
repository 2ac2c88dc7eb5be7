import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './api';

/**
 * The demo's API client: openapi-fetch, typed by `paths` from api.d.ts, which `npm run openapi` generates from the
 * OpenAPI document the service serves (docs/openapi.json). Paths, parameters, bodies and answers are all checked
 * against it, and the types below are read from it too: nothing of the API is copied by hand.
 */

// ───────────────────────────────────────────────────────────────────────────── the API's types

export type Schemas = components['schemas'];

export type Organization = Schemas['OrganizationView'];
/** The kinds of organization the demo creates (the platform exists already: its key runs the demo). */
export type OrganizationKind = Exclude<Organization['kind'], 'platform'>;
export type Brand = Schemas['BrandView'];
export type BrandLevel = Schemas['CertifyBrandDto']['level'];
export type Trainee = Schemas['TraineeView'];
export type TraineeStatus = Trainee['status'];
export type TargetGroup = Trainee['targetGroups'][number];
export type Gender = NonNullable<Trainee['gender']>;
export type ImportSummary = Schemas['ImportResultView'];
export type Placement = Schemas['PlacementView'];
export type SalaryOffer = Pick<Schemas['ProposePlacementDto'], 'salaryFen' | 'salaryPeriod'>;
export type BrandStatistics = Schemas['BrandStatisticsView'];
export type RegionStatistics = Schemas['RegionStatisticsView'];
export type SalaryFigures = Schemas['SalaryView'];
export type Problem = Schemas['ProblemSchema'];

/** A client acting with one organization's API key. */
export type RegistryClient = Client<paths>;

// ───────────────────────────────────────────────────────────────────────────── the client

/** A failure the user can act on: printed as is, without a stack trace. */
export class DemoError extends Error {}

const PROBLEMS_SHOWN = 5;

/** Every answer the service gave, by status, and the first problem documents, to show what went wrong. */
export class AnswerTally {
  readonly byStatus = new Map<number, number>();
  readonly problems: string[] = [];
  requests = 0;

  record(method: string, path: string, status: number, problem?: unknown): void {
    this.requests++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (problem && this.problems.length < PROBLEMS_SHOWN) this.problems.push(`${method} ${path} → ${status} ${JSON.stringify(problem)}`);
  }

  get failures(): number {
    return [...this.byStatus].filter(([status]) => status >= 300).reduce((sum, [, n]) => sum + n, 0);
  }
}

/**
 * Answers that mean "not now": the request was refused before it did anything (rate limited, or a dependency was
 * down and its transaction rolled back), so sending it again after a pause cannot do the work twice. That is why
 * the demo needs no Idempotency-Key; a lost connection is not retried but ends the run.
 */
const RETRIED_STATUSES = new Set([429, 503]);
const MAX_ATTEMPTS = 6;
const REQUEST_TIMEOUT_MS = 120_000;

/** The service at `baseUrl`; `as(key)` gives a typed client that acts with that API key. */
export class Registry {
  readonly tally = new AnswerTally();

  constructor(readonly baseUrl: string) {}

  as(apiKey: string): RegistryClient {
    return createClient<paths>({
      baseUrl: this.baseUrl,
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      fetch: (request) => this.send(request),
    });
  }

  /** Sends the request openapi-fetch built, again after a pause while the answer is 429 or 503, and tallies every answer. */
  private async send(request: Request): Promise<Response> {
    const path = request.url.startsWith(this.baseUrl) ? request.url.slice(this.baseUrl.length) : request.url;
    for (let attempt = 1; ; attempt++) {
      const response = await this.fetchOrExplain(request.clone(), path);
      if (response.ok) {
        this.tally.record(request.method, path, response.status);
        return response;
      }
      this.tally.record(request.method, path, response.status, problemOf(parseBody(await response.clone().text())));
      if (RETRIED_STATUSES.has(response.status) && attempt < MAX_ATTEMPTS) {
        await sleep(retryDelayMs(response.headers.get('retry-after'), attempt));
        continue;
      }
      return response;
    }
  }

  private async fetchOrExplain(request: Request, path: string): Promise<Response> {
    try {
      return await fetch(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new DemoError(`${request.method} ${this.baseUrl}${path} failed (${cause}); is the service running at ${this.baseUrl}?`);
    }
  }
}

/** JSON, as the service answers; anything else (a proxy's error page) is kept as the problem's detail. */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

/**
 * The problem document of a failed answer, as openapi-fetch hands it over: parsed JSON, or the text of a body that
 * was not JSON, or nothing for an empty body.
 */
function problemOf(error: unknown): object {
  if (typeof error === 'string') return error ? { detail: error.slice(0, 200) } : {};
  return typeof error === 'object' && error !== null ? error : {};
}

function retryDelayMs(retryAfter: string | null, attempt: number): number {
  const seconds = Number(retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) * 1000 : 250 * 2 ** attempt;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What openapi-fetch answers: `data` on success, `error` (the problem document) otherwise. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The body of a successful answer, or a DemoError naming the step and the service's problem document. */
export function expectOk<T>(answer: Answer<T>, step: string): T {
  if (answer.response.ok) return answer.data as T;
  throw new DemoError(`${step} failed: ${answer.response.status} ${JSON.stringify(problemOf(answer.error))}`);
}
