import {
  type Brand,
  type BrandStatistics,
  DemoError,
  expectOk,
  type Gender,
  type Placement,
  type RegionStatistics,
  Registry,
  type RegistryClient,
  type SalaryOffer,
  sleep,
  type TargetGroup,
  type Trainee,
  type TraineeStatus,
} from './client';
import { chineseName, mobileNumber, randomBirthDate, residentIdentityNumber, unifiedSocialCreditCode } from './identities';
import { BrandLedger, type CaughtUp, type Member, mismatches, regionMismatches, type RegionWatch } from './ledger';
import { annualOffer, BRAND_PLANS, type BrandPlan, monthlyOffer, type OrganizationPlan } from './plans';
import { chance, pick, pickWeighted, randomInt, shuffle } from './random';
import { printAnswers, printBrands, printCatchUp, printFigures, printImports, printJourneys, printOrganizations, printPages, say, seconds } from './report';

/**
 * `npm run demo`: builds the three labor service brands of DESIGN.md on a RUNNING service, over HTTP only, and
 * prints their figures. Bureaus, HR firms and employers are created with the platform key; from then on each
 * organization acts with its own key, as in real life: the firm registers a brand, its bureau certifies it, the
 * firm imports a few thousand trainees from a CSV file, trains and certifies them and proposes placements, and
 * employers confirm, reject, end jobs and report raises. Then it waits for the statistics workers and prints the
 * brands' figures next to what it did, so a figure that disagrees shows at once.
 *
 * Every call goes through the typed client of client.ts (openapi-fetch, with types generated from the service's
 * OpenAPI document): an example of a client of this API.
 *
 * Every run creates new organizations, brands and people (random credit codes and identity numbers), so it can
 * run again and again against the same database.
 *
 *   DEMO_BASE_URL   the service (default http://127.0.0.1:${PORT:-3000})
 *   DEMO_API_KEY    a platform key; BOOTSTRAP_ADMIN_KEY is used when it is not set
 */

// ───────────────────────────────────────────────────────────────────────────── configuration

interface DemoConfig {
  baseUrl: string;
  platformKey: string;
}

/** Enough to keep the service busy on two cores without queueing in front of it. */
const REQUESTS_IN_FLIGHT = 16;
const STATISTICS_TIMEOUT_MS = 30_000;
const STATISTICS_POLL_MS = 200;

function readConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const platformKey = env.DEMO_API_KEY || env.BOOTSTRAP_ADMIN_KEY;
  if (!platformKey) {
    throw new DemoError('No platform API key: set DEMO_API_KEY (or BOOTSTRAP_ADMIN_KEY, the key the service was started with).');
  }
  const baseUrl = (env.DEMO_BASE_URL || `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/+$/, '');
  return { baseUrl, platformKey };
}

/** Today in China (UTC+8, no daylight saving), as YYYY-MM-DD: the service judges dates by it. */
function chinaToday(): string {
  return new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
}

function yearsAfter(isoDate: string, years: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCFullYear(date.getUTCFullYear() + years);
  return date.toISOString().slice(0, 10);
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

// ───────────────────────────────────────────────────────────────────────────── step 1: organizations

/** A taken credit code (a clash of random codes with an earlier run) is answered with a fresh one. */
async function createOrganization(registry: Registry, platform: RegistryClient, plan: OrganizationPlan): Promise<Member> {
  for (let attempt = 1; ; attempt++) {
    const creditCode = unifiedSocialCreditCode(plan.kind, plan.regionCode);
    const answer = await platform.POST('/v1/organizations', { body: { ...plan, creditCode } });
    if (answer.error?.code === 'DUPLICATE_CREDIT_CODE' && attempt < 5) continue;
    const { organization, apiKey } = expectOk(answer, `Creating ${plan.name}`);
    return { ...organization, kind: plan.kind, api: registry.as(apiKey.secret) };
  }
}

async function createOrganizations(registry: Registry, platform: RegistryClient): Promise<BrandLedger[]> {
  const ledgers: BrandLedger[] = [];
  for (const plan of BRAND_PLANS) {
    const [bureau, operator, ...employers] = await Promise.all(
      [plan.bureau, plan.operator, ...plan.employers].map((org) => createOrganization(registry, platform, org)),
    );
    ledgers.push(new BrandLedger(plan, bureau, operator, employers));
  }
  return ledgers;
}

// ───────────────────────────────────────────────────────────────────────────── step 2: brands

/** The firm registers the brand and submits it; the bureau of its region certifies it for three years. */
async function establishBrand(ledger: BrandLedger): Promise<Brand> {
  const { plan, operator, bureau } = ledger;
  const draft = expectOk(
    await operator.api.POST('/v1/brands', {
      body: {
        name: plan.name,
        occupationCode: plan.occupationCode,
        occupationName: plan.occupationName,
        sector: plan.sector,
        regionCode: plan.regionCode,
        description: plan.description,
      },
    }),
    `Registering the brand ${plan.name}`,
  );
  const brand = { params: { path: { id: draft.id } } };
  expectOk(await operator.api.POST('/v1/brands/{id}/submit', brand), `Submitting ${plan.name}`);
  const certified = expectOk(
    await bureau.api.POST('/v1/brands/{id}/certify', { ...brand, body: { level: plan.level, validUntil: yearsAfter(chinaToday(), 3) } }),
    `Certifying ${plan.name}`,
  );
  ledger.brandId = certified.id;
  return certified;
}

// ───────────────────────────────────────────────────────────────────────────── step 3: trainees from a CSV file

const CSV_HEADER = 'fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen';

/** Graduates are in their twenties and veterans under forty; everyone else between 20 and 50. */
function birthYears(groups: TargetGroup[]): [number, number] {
  if (groups.includes('graduate')) return [1999, 2004];
  if (groups.includes('veteran')) return [1990, 2002];
  return [1975, 2004];
}

/** One CSV row per person; `usedIds` keeps identity numbers unique across the whole run. */
function traineeCsvRow(plan: BrandPlan, usedIds: Set<string>): string {
  const gender: Gender = chance(0.5) ? 'male' : 'female';
  const groups = pickWeighted(plan.targetGroups);
  let nationalId: string;
  do nationalId = residentIdentityNumber(pick(plan.hometowns), randomBirthDate(...birthYears(groups)), gender);
  while (usedIds.has(nationalId));
  usedIds.add(nationalId);
  return [
    chineseName(gender),
    nationalId,
    chance(0.92) ? mobileNumber() : '',
    groups.join(';'),
    pick(plan.cohorts),
    chance(0.9) ? String(plan.expectedMonthlyYuan() * 100) : '',
  ].join(',');
}

function traineeCsv(plan: BrandPlan, usedIds: Set<string>): string {
  const rows = Array.from({ length: plan.traineeCount }, () => traineeCsvRow(plan, usedIds));
  return [CSV_HEADER, ...rows].join('\n') + '\n';
}

/** The import route takes the file itself as a `text/csv` body, so it is sent as is rather than as JSON. */
async function importTrainees(ledger: BrandLedger, usedIds: Set<string>): Promise<void> {
  const csv = traineeCsv(ledger.plan, usedIds);
  ledger.imported = expectOk(
    await ledger.operator.api.POST('/v1/brands/{brandId}/trainees/import', {
      params: { path: { brandId: ledger.brandId } },
      body: csv,
      bodySerializer: (text) => text,
      headers: { 'content-type': 'text/csv; charset=utf-8' },
    }),
    `Importing the trainees of ${ledger.plan.name}`,
  );
}

/** The import answers with counts only; the firm lists its trainees to get their ids. */
async function listTrainees(ledger: BrandLedger): Promise<Trainee[]> {
  const trainees: Trainee[] = [];
  let cursor: string | undefined;
  do {
    const page = expectOk(
      await ledger.operator.api.GET('/v1/brands/{brandId}/trainees', { params: { path: { brandId: ledger.brandId }, query: { limit: 500, cursor } } }),
      `Listing the trainees of ${ledger.plan.name}`,
    );
    trainees.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return trainees;
}

// ───────────────────────────────────────────────────────────────────────────── step 4: journeys

type JobOutcome = 'none' | 'rejected' | 'running' | 'raised' | 'ended';

/** How far one trainee gets, drawn from the brand's funnel before anything is sent. */
interface Journey {
  withdraws: boolean;
  trains: boolean;
  completes: boolean;
  certificationLevel: number | null;
  job: JobOutcome;
}

function planJourney(plan: BrandPlan): Journey {
  const f = plan.funnel;
  const withdraws = chance(f.withdraw);
  const trains = !withdraws && chance(f.train);
  const completes = trains && chance(f.complete);
  const certificationLevel = completes && chance(f.certify) ? pickWeighted(plan.certificationLevels) : null;
  let job: JobOutcome = 'none';
  if (completes && chance(f.propose)) {
    job = chance(f.reject) ? 'rejected' : chance(f.end) ? 'ended' : chance(f.raise) ? 'raised' : 'running';
  }
  return { withdraws, trains, completes, certificationLevel, job };
}

/** Follows one trainee through their journey, one request after another; stops at the first refusal. */
async function followJourney(ledger: BrandLedger, trainee: Trainee, journey: Journey): Promise<void> {
  const firm = ledger.operator.api;
  const ofTrainee = { params: { path: { id: trainee.id } } };
  const moveTo = async (status: TraineeStatus): Promise<boolean> => (await firm.PATCH('/v1/trainees/{id}', { ...ofTrainee, body: { status } })).response.ok;

  if (journey.withdraws) {
    await moveTo('withdrawn');
    return;
  }
  if (!journey.trains || !(await moveTo('training'))) return;
  if (!journey.completes || !(await moveTo('completed'))) return;

  if (journey.certificationLevel !== null) {
    const issued = await firm.POST('/v1/trainees/{id}/certifications', { ...ofTrainee, body: { level: journey.certificationLevel } });
    if (issued.response.ok) ledger.certifiedTrainees.add(trainee.id);
  }
  if (journey.job !== 'none') await placeTrainee(ledger, trainee, journey.job);
}

async function placeTrainee(ledger: BrandLedger, trainee: Trainee, outcome: JobOutcome): Promise<void> {
  const employer = pick(ledger.employerOrgs);
  const today = chinaToday();
  const offer = ledger.plan.salaryOffer();
  const proposed = await ledger.operator.api.POST('/v1/placements', {
    body: {
      traineeId: trainee.id,
      employerId: employer.id,
      jobTitle: pick(ledger.plan.jobTitles),
      workRegionCode: employer.regionCode,
      ...offer,
      // Today, so that an end or a raise can be reported at once (neither may predate the start).
      startDate: today,
    },
  });
  if (!proposed.data) return;
  const placement = { params: { path: { id: proposed.data.id } } };

  if (outcome === 'rejected') {
    if ((await employer.api.POST('/v1/placements/{id}/reject', { ...placement, body: { reason: '岗位已招满' } })).response.ok) ledger.rejected++;
    return;
  }
  const confirmed = await employer.api.POST('/v1/placements/{id}/confirm', { ...placement, body: {} });
  if (!confirmed.data) return;
  recordRunningJob(ledger, trainee, confirmed.data);

  if (outcome === 'ended') {
    const reason = pick(['试用期未通过', '个人原因离职', '合同到期未续签']);
    const ended = await employer.api.POST('/v1/placements/{id}/end', { ...placement, body: { endDate: today, reason } });
    if (ended.response.ok) {
      ledger.ended++;
      ledger.runningJobs.delete(confirmed.data.id);
    }
  } else if (outcome === 'raised') {
    const raised = await employer.api.POST('/v1/placements/{id}/salary-changes', { ...placement, body: { ...raise(confirmed.data), effectiveDate: today } });
    if (raised.data) {
      ledger.raises++;
      ledger.runningJobs.set(raised.data.id, raised.data.annualSalaryFen);
    }
  }
}

function recordRunningJob(ledger: BrandLedger, trainee: Trainee, placement: Placement): void {
  ledger.confirmed++;
  ledger.placedTrainees.add(trainee.id);
  ledger.employers.add(placement.employerId);
  ledger.runningJobs.set(placement.id, placement.annualSalaryFen);
}

/** A raise of 5–15 %, quoted like the salary it replaces. */
function raise(placement: Placement): SalaryOffer {
  const yuan = (placement.salaryFen / 100) * (1 + randomInt(5, 15) / 100);
  return placement.salaryPeriod === 'monthly' ? monthlyOffer(yuan) : annualOffer(yuan);
}

// ───────────────────────────────────────────────────────────────────────────── step 5: the figures

/** Polls the figures until they show everything the demo did, or the timeout passes. */
async function waitForStatistics(platform: RegistryClient, ledgers: BrandLedger[], regions: RegionWatch[]): Promise<CaughtUp> {
  const started = Date.now();
  for (;;) {
    const brands = new Map<BrandLedger, BrandStatistics>();
    const regionFigures = new Map<RegionWatch, RegionStatistics>();
    const lagging: string[] = [];
    for (const ledger of ledgers) {
      const stats = expectOk(await platform.GET('/v1/brands/{id}/statistics', { params: { path: { id: ledger.brandId } } }), 'Reading brand statistics');
      brands.set(ledger, stats);
      lagging.push(...mismatches(stats, ledger).map((m) => `${ledger.plan.name}: ${m}`));
    }
    for (const watch of regions) {
      const stats = await regionStatistics(platform, watch.regionCode);
      regionFigures.set(watch, stats);
      lagging.push(...regionMismatches(stats, watch).map((m) => `region ${watch.regionCode}: ${m}`));
    }
    const waitedMs = Date.now() - started;
    if (lagging.length === 0 || waitedMs > STATISTICS_TIMEOUT_MS) {
      return { brands, regions: regionFigures, waitedMs, timeoutMs: STATISTICS_TIMEOUT_MS, lagging };
    }
    await sleep(STATISTICS_POLL_MS);
  }
}

async function regionStatistics(platform: RegistryClient, regionCode: string): Promise<RegionStatistics> {
  return expectOk(
    await platform.GET('/v1/statistics/regions/{regionCode}', { params: { path: { regionCode } } }),
    `Reading the statistics of region ${regionCode}`,
  );
}

// ───────────────────────────────────────────────────────────────────────────── main

const WATCHED_REGIONS = [
  { regionCode: '310000', label: '上海市' },
  { regionCode: '210000', label: '辽宁省' },
];

async function main(): Promise<number> {
  const config = readConfig();
  const registry = new Registry(config.baseUrl);
  const platform = registry.as(config.platformKey);
  const started = Date.now();
  say(`Labor service brands demo against ${config.baseUrl}`);
  say();

  const me = await platform.GET('/v1/me');
  if (!me.data || me.data.organization.kind !== 'platform') {
    throw new DemoError(`The key in DEMO_API_KEY / BOOTSTRAP_ADMIN_KEY is not a platform key of ${config.baseUrl} (GET /v1/me: ${me.response.status}).`);
  }
  const baselines = await Promise.all(WATCHED_REGIONS.map((r) => regionStatistics(platform, r.regionCode)));

  const ledgers = await createOrganizations(registry, platform);
  printOrganizations(ledgers);
  const brands = await Promise.all(ledgers.map((ledger) => establishBrand(ledger)));
  printBrands(ledgers, brands);

  const importStarted = Date.now();
  const usedIds = new Set<string>();
  await Promise.all(ledgers.map((ledger) => importTrainees(ledger, usedIds)));
  printImports(ledgers, Date.now() - importStarted);

  // Trainees of all three brands interleaved, so that every firm and employer is busy at once.
  const journeysStarted = Date.now();
  const requestsBefore = registry.tally.requests;
  const rosters = await Promise.all(ledgers.map((ledger) => listTrainees(ledger)));
  const journeys = shuffle(rosters.flatMap((trainees, i) => trainees.map((trainee) => ({ ledger: ledgers[i], trainee, journey: planJourney(ledgers[i].plan) }))));
  await inPool(journeys, REQUESTS_IN_FLIGHT, ({ ledger, trainee, journey }) => followJourney(ledger, trainee, journey));
  printJourneys(ledgers, journeys.length, registry.tally, requestsBefore, Date.now() - journeysStarted, REQUESTS_IN_FLIGHT);

  const regions = WATCHED_REGIONS.map((r, i) => ({ ...r, baseline: baselines[i], ledgers: ledgers.filter((l) => l.plan.regionCode.slice(0, 2) === r.regionCode.slice(0, 2)) }));
  const caughtUp = await waitForStatistics(platform, ledgers, regions);
  printAnswers(registry.tally);
  printFigures(caughtUp);
  printCatchUp(caughtUp);

  say(`OpenAPI: ${config.baseUrl}/docs (JSON: ${config.baseUrl}/docs-json)`);
  say(`Brand ids: ${ledgers.map((l) => `${l.plan.name} ${l.brandId}`).join(', ')}`);
  say(`Done in ${seconds(Date.now() - started)}.`);
  say();
  printPages(config.baseUrl, ledgers);
  return caughtUp.lagging.length === 0 ? 0 : 1;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (err: unknown) => {
    console.error(err instanceof DemoError ? err.message : `demo failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
