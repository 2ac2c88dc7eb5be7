import { creditCodeCheckCharacter } from '../common/identifiers/credit-code';
import { nationalIdCheckCharacter } from '../common/identifiers/national-id';
import { percentileCont } from '../statistics/statistics.math';

/**
 * `npm run demo`: builds the three labor service brands of DESIGN.md on a RUNNING service, over HTTP only, and
 * prints their figures. Bureaus, HR firms and employers are created with the platform key; from then on each
 * organization acts with its own key, as in real life: the firm registers a brand, its bureau certifies it, the
 * firm imports a few thousand trainees from a CSV file, trains and certifies them and proposes placements, and
 * employers confirm, reject, end jobs and report raises. Then it waits for the statistics workers and prints the
 * brands' figures next to what it did, so a figure that disagrees shows at once.
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
const PROBLEMS_SHOWN = 5;

function readConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const platformKey = env.DEMO_API_KEY || env.BOOTSTRAP_ADMIN_KEY;
  if (!platformKey) {
    throw new DemoError('No platform API key: set DEMO_API_KEY (or BOOTSTRAP_ADMIN_KEY, the key the service was started with).');
  }
  const baseUrl = (env.DEMO_BASE_URL || `http://127.0.0.1:${env.PORT || 3000}`).replace(/\/+$/, '');
  return { baseUrl, platformKey };
}

/** A failure the user can act on: printed as is, without a stack trace. */
class DemoError extends Error {}

// ───────────────────────────────────────────────────────────────────────────── HTTP

interface ProblemDocument {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: Array<{ field: string; code: string; message: string }>;
}

type Answer<T> = { ok: true; status: number; body: T } | { ok: false; status: number; problem: ProblemDocument };

/** Every answer the service gave, by status, and the first problem documents, to show what went wrong. */
class AnswerTally {
  readonly byStatus = new Map<number, number>();
  readonly problems: string[] = [];
  requests = 0;

  record(method: string, path: string, status: number, problem?: ProblemDocument): void {
    this.requests++;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (problem && this.problems.length < PROBLEMS_SHOWN) this.problems.push(`${method} ${path} → ${status} ${JSON.stringify(problem)}`);
  }

  get failures(): number {
    return [...this.byStatus].filter(([status]) => status >= 300).reduce((sum, [, n]) => sum + n, 0);
  }
}

interface SendOptions {
  body?: unknown;
  csv?: string;
}

/**
 * Answers that mean "not now": the request was refused before it did anything (rate limited, or a dependency was
 * down and its transaction rolled back), so sending it again after a pause cannot do the work twice. That is why
 * the demo needs no Idempotency-Key; a lost connection is not retried but ends the run.
 */
const RETRIED_STATUSES = new Set([429, 503]);
const MAX_ATTEMPTS = 6;

class RegistryClient {
  constructor(
    private readonly baseUrl: string,
    readonly tally: AnswerTally,
  ) {}

  get<T>(path: string, key: string): Promise<Answer<T>> {
    return this.send<T>('GET', path, key);
  }

  post<T>(path: string, key: string, body?: unknown): Promise<Answer<T>> {
    return this.send<T>('POST', path, key, { body });
  }

  patch<T>(path: string, key: string, body: unknown): Promise<Answer<T>> {
    return this.send<T>('PATCH', path, key, { body });
  }

  postCsv<T>(path: string, key: string, csv: string): Promise<Answer<T>> {
    return this.send<T>('POST', path, key, { csv });
  }

  private async send<T>(method: string, path: string, key: string, options: SendOptions = {}): Promise<Answer<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json' };
    let payload: string | undefined;
    if (options.csv !== undefined) {
      headers['content-type'] = 'text/csv; charset=utf-8';
      payload = options.csv;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(options.body);
    }

    for (let attempt = 1; ; attempt++) {
      const response = await this.fetchOrExplain(method, path, headers, payload);
      const parsed = parseBody(await response.text());
      if (response.ok) {
        this.tally.record(method, path, response.status);
        return { ok: true, status: response.status, body: parsed as T };
      }
      const problem = (parsed ?? {}) as ProblemDocument;
      this.tally.record(method, path, response.status, problem);
      if (RETRIED_STATUSES.has(response.status) && attempt < MAX_ATTEMPTS) {
        await sleep(retryDelayMs(response.headers.get('retry-after'), attempt));
        continue;
      }
      return { ok: false, status: response.status, problem };
    }
  }

  private async fetchOrExplain(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(120_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new DemoError(`${method} ${this.baseUrl}${path} failed (${cause}); is the service running at ${this.baseUrl}?`);
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

function retryDelayMs(retryAfter: string | null, attempt: number): number {
  const seconds = Number(retryAfter);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) * 1000 : 250 * 2 ** attempt;
}

/** The body of a successful answer, or a DemoError naming the step and the service's problem document. */
function expectOk<T>(answer: Answer<T>, step: string): T {
  if (answer.ok) return answer.body;
  throw new DemoError(`${step} failed: ${answer.status} ${JSON.stringify(answer.problem)}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
}

// ───────────────────────────────────────────────────────────────────────────── random data

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

function chance(probability: number): boolean {
  return Math.random() < probability;
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

function pickWeighted<T>(options: ReadonlyArray<readonly [T, number]>): T {
  let roll = Math.random() * options.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of options) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return options[options.length - 1][0];
}

/** Normally distributed (Box–Muller), clamped: salaries cluster around a figure but stay within the market's range. */
function normalBetween(mean: number, sd: number, min: number, max: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Math.min(max, Math.max(min, mean + z * sd));
}

function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Characters allowed in a credit code (the letters I, O, S, V and Z are never used). */
const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/**
 * A Unified Social Credit Code (GB 32100-2015): registration authority, organisation type, the region of the
 * registering office, a GB 11714 organisation code and the check character. Bureaus are registered by the
 * establishment office ("11": 机构编制, 机关); firms by market regulation ("91": 工商, 企业), and those registered
 * since 2015 carry an organisation code beginning "MA".
 */
function unifiedSocialCreditCode(kind: OrganizationKind, regionCode: string): string {
  const [prefix, body] =
    kind === 'bureau'
      ? ['11', randomChars('0123456789', 8)]
      : ['91', `MA${randomChars(CREDIT_CODE_CHARSET, 6)}`];
  const first17 = `${prefix}${regionCode}${body}${organizationCodeCheckCharacter(body)}`;
  return first17 + creditCodeCheckCharacter(first17);
}

/** GB 11714 check character of an eight-character organisation code body. */
function organizationCodeCheckCharacter(body: string): string {
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, char, i) => total + parseInt(char, 36) * weights[i], 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

function randomChars(charset: string, length: number): string {
  return Array.from({ length }, () => pick([...charset])).join('');
}

type Gender = 'male' | 'female';

/**
 * A resident identity number (GB 11643-1999): the address code of first registration, the birth date, a sequence
 * number whose last digit is odd for men and even for women, and the ISO 7064 MOD 11-2 check character.
 */
function residentIdentityNumber(addressCode: string, birthDate: Date, gender: Gender): string {
  const yyyymmdd = birthDate.toISOString().slice(0, 10).replace(/-/g, '');
  const sequence = randomInt(0, 99) * 10 + (gender === 'male' ? pick([1, 3, 5, 7, 9]) : pick([0, 2, 4, 6, 8]));
  const first17 = `${addressCode}${yyyymmdd}${String(sequence).padStart(3, '0')}`;
  return first17 + nationalIdCheckCharacter(first17);
}

function randomBirthDate(fromYear: number, toYear: number): Date {
  const from = Date.UTC(fromYear, 0, 1);
  const to = Date.UTC(toYear, 11, 31);
  return new Date(from + Math.floor(Math.random() * ((to - from) / 86_400_000 + 1)) * 86_400_000);
}

// The commonest surnames, roughly in order of frequency, so that 王, 李 and 张 come up most.
const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'];
const GIVEN_NAME_CHARACTERS: Record<Gender, string[]> = {
  male: [...'伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林晨博文轩睿泽天家志建国海峰子一'],
  female: [...'芳娜敏静丽艳娟霞秀玲英燕萍红雪琳晶婷慧颖倩欣怡佳雨思梦诗琪涵悦瑶月梓萱婉淑'],
};

function chineseName(gender: Gender): string {
  const surname = SURNAMES[Math.floor(Math.random() ** 1.6 * SURNAMES.length)];
  const givenLength = chance(0.35) ? 1 : 2;
  return surname + Array.from({ length: givenLength }, () => pick(GIVEN_NAME_CHARACTERS[gender])).join('');
}

const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '157', '158', '159', '166', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '198', '199'];

function mobileNumber(): string {
  return pick(MOBILE_PREFIXES) + randomChars('0123456789', 8);
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

// ───────────────────────────────────────────────────────────────────────────── the three brands

type OrganizationKind = 'bureau' | 'hr_firm' | 'employer';
type TargetGroup = 'graduate' | 'veteran' | 'rural_migrant' | 'unemployed' | 'disabled';
type SalaryPeriod = 'monthly' | 'annual';

interface OrganizationPlan {
  kind: OrganizationKind;
  name: string;
  regionCode: string;
}

interface SalaryOffer {
  salaryFen: number;
  salaryPeriod: SalaryPeriod;
}

/** Shares of the trainees who reach each stage (of those who reached the one before). */
interface Funnel {
  withdraw: number;
  train: number;
  complete: number;
  certify: number;
  propose: number;
  /** Of proposals: the employer says no. */
  reject: number;
  /** Of confirmed jobs: ended already, or given a raise. */
  end: number;
  raise: number;
}

interface BrandPlan {
  name: string;
  occupationCode: string;
  occupationName: string;
  sector: string;
  regionCode: string;
  description: string;
  level: 'district' | 'municipal';
  bureau: OrganizationPlan;
  operator: OrganizationPlan;
  employers: OrganizationPlan[];
  traineeCount: number;
  /** Where trainees were first registered (the first six digits of their identity numbers). */
  hometowns: string[];
  targetGroups: ReadonlyArray<readonly [TargetGroup[], number]>;
  cohorts: string[];
  /** Expected monthly salary, yuan. */
  expectedMonthlyYuan: () => number;
  salaryOffer: () => SalaryOffer;
  jobTitles: string[];
  certificationLevels: ReadonlyArray<readonly [number, number]>;
  funnel: Funnel;
}

/** Salaries are quoted in round figures: to the hundred yuan a month, to the thousand yuan a year. */
function monthlyOffer(yuan: number): SalaryOffer {
  return { salaryFen: roundTo(yuan, 100) * 100, salaryPeriod: 'monthly' };
}

function annualOffer(yuan: number): SalaryOffer {
  return { salaryFen: roundTo(yuan, 1000) * 100, salaryPeriod: 'annual' };
}

const BRAND_PLANS: BrandPlan[] = [
  {
    name: '徐汇AI训练师',
    occupationCode: '4-04-05-05',
    occupationName: '人工智能训练师',
    sector: '人工智能',
    regionCode: '310104',
    description: '徐汇区人工智能训练师劳务品牌：面向农村转移劳动力和失业人员，开展数据标注、大模型训练与评测培训，输送至区内人工智能企业。',
    level: 'district',
    bureau: { kind: 'bureau', name: '上海市徐汇区人力资源和社会保障局', regionCode: '310104' },
    operator: { kind: 'hr_firm', name: '上海徐汇智训人力资源有限公司', regionCode: '310104' },
    employers: [
      { kind: 'employer', name: '上海云智数据科技有限公司', regionCode: '310104' },
      { kind: 'employer', name: '上海星图智算科技有限公司', regionCode: '310104' },
      { kind: 'employer', name: '上海西岸模数智能科技有限公司', regionCode: '310104' },
      { kind: 'employer', name: '上海漕河泾语料工程有限公司', regionCode: '310104' },
    ],
    traineeCount: 1500,
    hometowns: ['310104', '310112', '340104', '341221', '341623', '411323', '320321', '362426', '510722', '430524'],
    targetGroups: [[['rural_migrant'], 35], [['unemployed'], 30], [['rural_migrant', 'unemployed'], 5], [['unemployed', 'disabled'], 2], [[], 28]],
    cohorts: ['2025春季班', '2025秋季班', '2026春季班'],
    expectedMonthlyYuan: () => roundTo(normalBetween(11_000, 2_000, 6_000, 18_000), 500),
    // A median annual salary of CNY 150,000–200,000 (DESIGN.md); AI firms quote either a year's pay or a month's.
    salaryOffer: () => {
      const yuanPerYear = normalBetween(175_000, 28_000, 110_000, 320_000);
      return chance(0.5) ? annualOffer(yuanPerYear) : monthlyOffer(yuanPerYear / 12);
    },
    jobTitles: ['人工智能训练师', '大模型数据标注工程师', '大模型评测专员', '数据质检专员'],
    certificationLevels: [[4, 50], [3, 30], [5, 20]],
    funnel: { withdraw: 0.03, train: 0.93, complete: 0.9, certify: 0.85, propose: 0.85, reject: 0.05, end: 0.04, raise: 0.08 },
  },
  {
    name: '杨浦低空飞行数控操作员',
    occupationCode: '6-18-01-07',
    occupationName: '多工序数控机床操作调整工',
    sector: '低空经济与先进制造',
    regionCode: '310110',
    description: '杨浦区人社局与区属国有人才集团共建：面向高校毕业生和退役军人，培养无人机及航空零部件数控加工操作人员。',
    level: 'district',
    bureau: { kind: 'bureau', name: '上海市杨浦区人力资源和社会保障局', regionCode: '310110' },
    operator: { kind: 'hr_firm', name: '上海杨浦人才发展集团有限公司', regionCode: '310110' },
    employers: [
      { kind: 'employer', name: '上海翼航低空科技有限公司', regionCode: '310110' },
      { kind: 'employer', name: '上海杨浦精密数控装备有限公司', regionCode: '310110' },
      { kind: 'employer', name: '上海复兴岛航空零部件制造有限公司', regionCode: '310110' },
    ],
    traineeCount: 800,
    hometowns: ['310110', '310115', '310107', '320582', '330781', '370283', '340826', '410184'],
    targetGroups: [[['graduate'], 55], [['veteran'], 30], [['graduate', 'veteran'], 3], [[], 12]],
    cohorts: ['2025秋季班', '2026春季班'],
    expectedMonthlyYuan: () => roundTo(normalBetween(7_500, 1_000, 5_000, 11_000), 500),
    salaryOffer: () => monthlyOffer(normalBetween(10_000, 1_200, 7_000, 14_500)),
    jobTitles: ['数控车床操作员', '五轴加工中心操作员', '无人机结构件数控加工员'],
    certificationLevels: [[5, 30], [4, 50], [3, 20]],
    funnel: { withdraw: 0.02, train: 0.95, complete: 0.9, certify: 0.8, propose: 0.8, reject: 0.06, end: 0.03, raise: 0.06 },
  },
  {
    name: '沈阳动漫设计师',
    occupationCode: '4-13-02-03',
    occupationName: '动画制作员',
    sector: '文化创意',
    regionCode: '210100',
    description: '沈阳市动漫设计师劳务品牌：培训二维/三维动画、原画与动画中期制作人才，服务沈阳动漫产业集群。',
    level: 'municipal',
    bureau: { kind: 'bureau', name: '沈阳市人力资源和社会保障局', regionCode: '210100' },
    operator: { kind: 'hr_firm', name: '沈阳漫创职业技能培训有限公司', regionCode: '210100' },
    employers: [
      { kind: 'employer', name: '沈阳浑南北方动漫影视有限公司', regionCode: '210112' },
      { kind: 'employer', name: '沈阳盛京数字动画有限公司', regionCode: '210102' },
      { kind: 'employer', name: '沈阳铁西像素动画制作有限公司', regionCode: '210106' },
    ],
    traineeCount: 1200,
    hometowns: ['210102', '210103', '210106', '210112', '210124', '211002', '210727', '220182', '230182'],
    targetGroups: [[['rural_migrant'], 30], [['unemployed'], 35], [['disabled'], 2], [[], 33]],
    cohorts: ['第11期', '第12期', '第13期'],
    expectedMonthlyYuan: () => roundTo(normalBetween(7_000, 1_200, 4_500, 12_000), 500),
    // Average income above CNY 100,000 a year (DESIGN.md).
    salaryOffer: () => {
      const yuanPerYear = normalBetween(112_000, 22_000, 70_000, 220_000);
      return chance(0.6) ? annualOffer(yuanPerYear) : monthlyOffer(yuanPerYear / 12);
    },
    jobTitles: ['二维动画师', '三维动画师', '原画设计师', '动画中期制作员'],
    certificationLevels: [[4, 45], [3, 35], [5, 20]],
    funnel: { withdraw: 0.03, train: 0.92, complete: 0.88, certify: 0.8, propose: 0.75, reject: 0.05, end: 0.05, raise: 0.07 },
  },
];

// ───────────────────────────────────────────────────────────────────────────── what the demo did, per brand

interface Organization {
  id: string;
  kind: OrganizationKind;
  name: string;
  regionCode: string;
  creditCode: string;
  /** Its own API key: every organization acts with its own. */
  key: string;
}

interface ImportSummary {
  received: number;
  created: number;
  duplicates: number;
  rejected: number;
  errors: Array<{ row: number; field: string; code: string; message: string }>;
}

/** What the demo did to one brand; from it follow the figures the statistics must show once caught up. */
class BrandLedger {
  brandId = '';
  imported: ImportSummary = { received: 0, created: 0, duplicates: 0, rejected: 0, errors: [] };
  readonly certifiedTrainees = new Set<string>();
  readonly placedTrainees = new Set<string>();
  readonly employers = new Set<string>();
  /** Placement id → current annual salary of every job that is running. */
  readonly runningJobs = new Map<string, number>();
  confirmed = 0;
  rejected = 0;
  ended = 0;
  raises = 0;

  constructor(
    readonly plan: BrandPlan,
    readonly bureau: Organization,
    readonly operator: Organization,
    readonly employerOrgs: Organization[],
  ) {}
}

// ───────────────────────────────────────────────────────────────────────────── step 1: organizations

interface CreatedOrganization {
  organization: { id: string; kind: OrganizationKind; name: string; creditCode: string; regionCode: string };
  apiKey: { id: string; secret: string };
}

/** A taken credit code (a clash of random codes with an earlier run) is answered with a fresh one. */
async function createOrganization(client: RegistryClient, platformKey: string, plan: OrganizationPlan): Promise<Organization> {
  for (let attempt = 1; ; attempt++) {
    const creditCode = unifiedSocialCreditCode(plan.kind, plan.regionCode);
    const answer = await client.post<CreatedOrganization>('/v1/organizations', platformKey, { ...plan, creditCode });
    if (!answer.ok && answer.problem.code === 'DUPLICATE_CREDIT_CODE' && attempt < 5) continue;
    const { organization, apiKey } = expectOk(answer, `Creating ${plan.name}`);
    return { ...organization, key: apiKey.secret };
  }
}

async function createOrganizations(client: RegistryClient, platformKey: string): Promise<BrandLedger[]> {
  const ledgers: BrandLedger[] = [];
  for (const plan of BRAND_PLANS) {
    const [bureau, operator, ...employers] = await Promise.all(
      [plan.bureau, plan.operator, ...plan.employers].map((org) => createOrganization(client, platformKey, org)),
    );
    ledgers.push(new BrandLedger(plan, bureau, operator, employers));
  }
  return ledgers;
}

// ───────────────────────────────────────────────────────────────────────────── step 2: brands

interface Brand {
  id: string;
  status: string;
  level: string | null;
  validUntil: string | null;
}

/** The firm registers the brand and submits it; the bureau of its region certifies it for three years. */
async function establishBrand(client: RegistryClient, ledger: BrandLedger): Promise<Brand> {
  const { plan, operator, bureau } = ledger;
  const draft = expectOk(
    await client.post<Brand>('/v1/brands', operator.key, {
      name: plan.name,
      occupationCode: plan.occupationCode,
      occupationName: plan.occupationName,
      sector: plan.sector,
      regionCode: plan.regionCode,
      description: plan.description,
    }),
    `Registering the brand ${plan.name}`,
  );
  expectOk(await client.post(`/v1/brands/${draft.id}/submit`, operator.key), `Submitting ${plan.name}`);
  const certified = expectOk(
    await client.post<Brand>(`/v1/brands/${draft.id}/certify`, bureau.key, { level: plan.level, validUntil: yearsAfter(chinaToday(), 3) }),
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

async function importTrainees(client: RegistryClient, ledger: BrandLedger, usedIds: Set<string>): Promise<void> {
  const csv = traineeCsv(ledger.plan, usedIds);
  ledger.imported = expectOk(
    await client.postCsv<ImportSummary>(`/v1/brands/${ledger.brandId}/trainees/import`, ledger.operator.key, csv),
    `Importing the trainees of ${ledger.plan.name}`,
  );
}

interface Trainee {
  id: string;
  status: string;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The import answers with counts only; the firm lists its trainees to get their ids. */
async function listTrainees(client: RegistryClient, ledger: BrandLedger): Promise<Trainee[]> {
  const trainees: Trainee[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: Page<Trainee> = expectOk(
      await client.get<Page<Trainee>>(`/v1/brands/${ledger.brandId}/trainees?${query}`, ledger.operator.key),
      `Listing the trainees of ${ledger.plan.name}`,
    );
    trainees.push(...page.items);
    cursor = page.nextCursor;
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

interface Placement {
  id: string;
  employerId: string;
  salaryFen: number;
  salaryPeriod: SalaryPeriod;
  annualSalaryFen: number;
  status: string;
}

/** Follows one trainee through their journey, one request after another; stops at the first refusal. */
async function followJourney(client: RegistryClient, ledger: BrandLedger, trainee: Trainee, journey: Journey): Promise<void> {
  const firm = ledger.operator.key;
  const moveTo = async (status: string): Promise<boolean> => (await client.patch(`/v1/trainees/${trainee.id}`, firm, { status })).ok;

  if (journey.withdraws) {
    await moveTo('withdrawn');
    return;
  }
  if (!journey.trains || !(await moveTo('training'))) return;
  if (!journey.completes || !(await moveTo('completed'))) return;

  if (journey.certificationLevel !== null) {
    const issued = await client.post(`/v1/trainees/${trainee.id}/certifications`, firm, { level: journey.certificationLevel });
    if (issued.ok) ledger.certifiedTrainees.add(trainee.id);
  }
  if (journey.job !== 'none') await placeTrainee(client, ledger, trainee, journey.job);
}

async function placeTrainee(client: RegistryClient, ledger: BrandLedger, trainee: Trainee, outcome: JobOutcome): Promise<void> {
  const employer = pick(ledger.employerOrgs);
  const today = chinaToday();
  const offer = ledger.plan.salaryOffer();
  const proposed = await client.post<Placement>('/v1/placements', ledger.operator.key, {
    traineeId: trainee.id,
    employerId: employer.id,
    jobTitle: pick(ledger.plan.jobTitles),
    workRegionCode: employer.regionCode,
    ...offer,
    // Today, so that an end or a raise can be reported at once (neither may predate the start).
    startDate: today,
  });
  if (!proposed.ok) return;
  const placementPath = `/v1/placements/${proposed.body.id}`;

  if (outcome === 'rejected') {
    if ((await client.post(`${placementPath}/reject`, employer.key, { reason: '岗位已招满' })).ok) ledger.rejected++;
    return;
  }
  const confirmed = await client.post<Placement>(`${placementPath}/confirm`, employer.key, {});
  if (!confirmed.ok) return;
  recordRunningJob(ledger, trainee, confirmed.body);

  if (outcome === 'ended') {
    const ended = await client.post(`${placementPath}/end`, employer.key, { endDate: today, reason: pick(['试用期未通过', '个人原因离职', '合同到期未续签']) });
    if (ended.ok) {
      ledger.ended++;
      ledger.runningJobs.delete(confirmed.body.id);
    }
  } else if (outcome === 'raised') {
    const raised = await client.post<Placement>(`${placementPath}/salary-changes`, employer.key, { ...raise(confirmed.body), effectiveDate: today });
    if (raised.ok) {
      ledger.raises++;
      ledger.runningJobs.set(raised.body.id, raised.body.annualSalaryFen);
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

interface SalaryFigures {
  sampleSize: number;
  medianAnnualFen: number | null;
  p25AnnualFen: number | null;
  p75AnnualFen: number | null;
  meanAnnualFen: number | null;
  suppressed: boolean;
}

interface BrandStatistics {
  brandId: string;
  traineeCount: number;
  certifiedTraineeCount: number;
  placedTraineeCount: number;
  placementRate: number | null;
  activePlacementCount: number;
  endedPlacementCount: number;
  employerCount: number;
  salary: SalaryFigures;
  medianSalaryUpliftPct: number | null;
  medianDaysToPlacement: number | null;
}

interface RegionStatistics {
  regionCode: string;
  brandCount: number;
  traineeCount: number;
  placedTraineeCount: number;
  activePlacementCount: number;
  salary: SalaryFigures;
}

/** The figures that follow from what the demo did, exactly (API.md, Statistics). */
function expectedFigures(ledger: BrandLedger): Record<string, number | null> {
  const salaries = [...ledger.runningJobs.values()].sort((a, b) => a - b);
  const total = salaries.reduce((sum, fen) => sum + BigInt(fen), 0n);
  const n = BigInt(salaries.length);
  return {
    traineeCount: ledger.imported.created,
    activePlacementCount: ledger.confirmed - ledger.ended,
    endedPlacementCount: ledger.ended,
    placedTraineeCount: ledger.placedTrainees.size,
    certifiedTraineeCount: ledger.certifiedTrainees.size,
    employerCount: ledger.employers.size,
    'salary.medianAnnualFen': roundedOrNull(percentileCont(salaries, 0.5)),
    'salary.p25AnnualFen': roundedOrNull(percentileCont(salaries, 0.25)),
    'salary.p75AnnualFen': roundedOrNull(percentileCont(salaries, 0.75)),
    // Exact: the sum in BigInt, rounded half up (all salaries are positive).
    'salary.meanAnnualFen': n === 0n ? null : Number((2n * total + n) / (2n * n)),
  };
}

function roundedOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

function actualFigure(stats: BrandStatistics, field: string): number | null {
  if (field.startsWith('salary.')) return stats.salary[field.slice('salary.'.length) as keyof SalaryFigures] as number | null;
  return stats[field as keyof BrandStatistics] as number | null;
}

/** The figures that differ from what the demo did: empty once the workers have caught up. */
function mismatches(stats: BrandStatistics, ledger: BrandLedger): string[] {
  return Object.entries(expectedFigures(ledger))
    .filter(([field, expected]) => actualFigure(stats, field) !== expected)
    .map(([field, expected]) => `${field} is ${actualFigure(stats, field)}, expected ${expected}`);
}

/** Region figures cover every public brand of the province: those of earlier runs too, hence a baseline. */
interface RegionWatch {
  regionCode: string;
  label: string;
  baseline: RegionStatistics;
  ledgers: BrandLedger[];
}

function regionMismatches(stats: RegionStatistics, watch: RegionWatch): string[] {
  const expectedTrainees = watch.baseline.traineeCount + sum(watch.ledgers.map((l) => l.imported.created));
  const expectedActive = watch.baseline.activePlacementCount + sum(watch.ledgers.map((l) => l.runningJobs.size));
  const problems: string[] = [];
  if (stats.traineeCount !== expectedTrainees) problems.push(`traineeCount is ${stats.traineeCount}, expected ${expectedTrainees}`);
  if (stats.activePlacementCount !== expectedActive) problems.push(`activePlacementCount is ${stats.activePlacementCount}, expected ${expectedActive}`);
  return problems;
}

function sum(values: number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

interface CaughtUp {
  brands: Map<BrandLedger, BrandStatistics>;
  regions: Map<RegionWatch, RegionStatistics>;
  waitedMs: number;
  /** Empty when every figure matched before the timeout. */
  lagging: string[];
}

/** Polls the figures until they show everything the demo did, or the timeout passes. */
async function waitForStatistics(client: RegistryClient, key: string, ledgers: BrandLedger[], regions: RegionWatch[]): Promise<CaughtUp> {
  const started = Date.now();
  for (;;) {
    const brands = new Map<BrandLedger, BrandStatistics>();
    const regionFigures = new Map<RegionWatch, RegionStatistics>();
    const lagging: string[] = [];
    for (const ledger of ledgers) {
      const stats = expectOk(await client.get<BrandStatistics>(`/v1/brands/${ledger.brandId}/statistics`, key), 'Reading brand statistics');
      brands.set(ledger, stats);
      lagging.push(...mismatches(stats, ledger).map((m) => `${ledger.plan.name}: ${m}`));
    }
    for (const watch of regions) {
      const stats = await regionStatistics(client, key, watch.regionCode);
      regionFigures.set(watch, stats);
      lagging.push(...regionMismatches(stats, watch).map((m) => `region ${watch.regionCode}: ${m}`));
    }
    const waitedMs = Date.now() - started;
    if (lagging.length === 0 || waitedMs > STATISTICS_TIMEOUT_MS) return { brands, regions: regionFigures, waitedMs, lagging };
    await sleep(STATISTICS_POLL_MS);
  }
}

async function regionStatistics(client: RegistryClient, key: string, regionCode: string): Promise<RegionStatistics> {
  return expectOk(await client.get<RegionStatistics>(`/v1/statistics/regions/${regionCode}`, key), `Reading the statistics of region ${regionCode}`);
}

// ───────────────────────────────────────────────────────────────────────────── printing

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const count = (n: number): string => n.toLocaleString('en-US');
/** Whole yuan without decimals, anything else with both jiao and fen: 176,000 and 176,562.40. */
const yuan = (fen: number | null): string =>
  fen === null ? '–' : (fen / 100).toLocaleString('en-US', { minimumFractionDigits: fen % 100 === 0 ? 0 : 2, maximumFractionDigits: 2 });
const percent = (value: number | null, digits = 1): string => (value === null ? '–' : value.toFixed(digits));
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Columns of a console table; Chinese characters take two columns in a terminal. */
function displayWidth(text: string): number {
  return [...text].reduce((width, char) => width + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(char) ? 2 : 1), 0);
}

/** Text columns left-aligned, numbers right-aligned. */
function table(header: string[], rows: string[][], leftAligned = 1): string[] {
  const widths = header.map((title, column) => Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[column]))));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => {
        const padding = ' '.repeat(widths[column] - displayWidth(cell));
        return column < leftAligned ? cell + padding : padding + cell;
      })
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}

function printOrganizations(ledgers: BrandLedger[]): void {
  say('Organizations (each with its own API key)');
  const organizations = ledgers.flatMap((l) => [l.bureau, l.operator, ...l.employerOrgs]);
  const rows = organizations.map((o) => [o.kind, o.name, o.regionCode, o.creditCode, o.id]);
  table(['kind', 'name', 'region', 'credit code', 'id'], rows, 5).forEach((line) => say(`  ${line}`));
  say();
}

function printBrands(ledgers: BrandLedger[], brands: Brand[]): void {
  say('Brands, certified by their bureaus');
  const rows = ledgers.map((l, i) => [l.plan.name, `${l.plan.occupationCode} ${l.plan.occupationName}`, l.plan.regionCode, `${brands[i].level} until ${brands[i].validUntil}`, l.brandId]);
  table(['brand', 'occupation', 'region', 'level', 'id'], rows, 5).forEach((line) => say(`  ${line}`));
  say();
}

function printImports(ledgers: BrandLedger[], ms: number): void {
  say(`Trainee imports (CSV, POST /v1/brands/:id/trainees/import) in ${seconds(ms)}`);
  const rows = ledgers.map((l) => [l.plan.name, count(l.imported.received), count(l.imported.created), count(l.imported.duplicates), count(l.imported.rejected)]);
  table(['brand', 'received', 'created', 'duplicates', 'rejected'], rows).forEach((line) => say(`  ${line}`));
  for (const l of ledgers) for (const e of l.imported.errors.slice(0, 3)) say(`  ${l.plan.name} row ${e.row}: ${e.field} ${e.code} ${e.message}`);
  say();
}

function printJourneys(ledgers: BrandLedger[], trainees: number, tally: AnswerTally, requestsBefore: number, ms: number): void {
  const requests = tally.requests - requestsBefore;
  say(`Journeys of ${count(trainees)} trainees: ${count(requests)} requests in ${seconds(ms)} (${count(Math.round(requests / (ms / 1000)))}/s, ${REQUESTS_IN_FLIGHT} in flight)`);
  const rows = ledgers.map((l) => [l.plan.name, count(l.certifiedTrainees.size), count(l.confirmed), count(l.rejected), count(l.ended), count(l.raises)]);
  table(['brand', 'certified', 'confirmed', 'rejected', 'ended', 'raises'], rows).forEach((line) => say(`  ${line}`));
  say();
}

function printAnswers(tally: AnswerTally): void {
  const byStatus = [...tally.byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status} × ${count(n)}`);
  say(`Answers: ${count(tally.requests)} requests; ${byStatus.join(', ')}; ${count(tally.failures)} not 2xx`);
  for (const problem of tally.problems) say(`  ${problem}`);
  say();
}

function printFigures(caughtUp: CaughtUp): void {
  say('Brand figures (GET /v1/brands/:id/statistics; salaries are annual, in CNY)');
  const header = ['brand', 'region', 'trainees', 'certified', 'placed', 'rate %', 'active', 'employers', 'median', 'p25', 'p75', 'mean', 'uplift %', 'days to job'];
  const rows = [...caughtUp.brands].map(([ledger, s]) => [
    ledger.plan.name,
    ledger.plan.regionCode,
    count(s.traineeCount),
    count(s.certifiedTraineeCount),
    count(s.placedTraineeCount),
    percent(s.placementRate === null ? null : s.placementRate * 100),
    count(s.activePlacementCount),
    count(s.employerCount),
    yuan(s.salary.medianAnnualFen),
    yuan(s.salary.p25AnnualFen),
    yuan(s.salary.p75AnnualFen),
    yuan(s.salary.meanAnnualFen),
    percent(s.medianSalaryUpliftPct),
    // Everyone was registered minutes ago, so this is a small fraction of a day.
    percent(s.medianDaysToPlacement, 4),
  ]);
  table(header, rows, 2).forEach((line) => say(`  ${line}`));
  say();

  say('Regions (GET /v1/statistics/regions/:code; every public brand there, earlier runs included)');
  const regionRows = [...caughtUp.regions].map(([watch, r]) => [
    `${r.regionCode} ${watch.label}`,
    count(r.brandCount),
    count(r.traineeCount),
    count(r.placedTraineeCount),
    count(r.activePlacementCount),
    yuan(r.salary.medianAnnualFen),
    yuan(r.salary.p25AnnualFen),
    yuan(r.salary.p75AnnualFen),
    yuan(r.salary.meanAnnualFen),
  ]);
  table(['region', 'brands', 'trainees', 'placed', 'active', 'median', 'p25', 'p75', 'mean'], regionRows).forEach((line) => say(`  ${line}`));
  say();
}

function printCatchUp(caughtUp: CaughtUp): void {
  if (caughtUp.lagging.length === 0) {
    say(`Statistics caught up ${seconds(caughtUp.waitedMs)} after the last request: every figure above matches what the demo did.`);
  } else {
    say(`Statistics did NOT catch up within ${seconds(STATISTICS_TIMEOUT_MS)}; still different:`);
    for (const line of caughtUp.lagging) say(`  ${line}`);
  }
  say();
}

// ───────────────────────────────────────────────────────────────────────────── main

const WATCHED_REGIONS = [
  { regionCode: '310000', label: '上海市' },
  { regionCode: '210000', label: '辽宁省' },
];

async function main(): Promise<number> {
  const config = readConfig();
  const client = new RegistryClient(config.baseUrl, new AnswerTally());
  const started = Date.now();
  say(`Labor service brands demo against ${config.baseUrl}`);
  say();

  const me = await client.get<{ organization: { kind: string } }>('/v1/me', config.platformKey);
  if (!me.ok || me.body.organization.kind !== 'platform') {
    throw new DemoError(`The key in DEMO_API_KEY / BOOTSTRAP_ADMIN_KEY is not a platform key of ${config.baseUrl} (GET /v1/me: ${me.status}).`);
  }
  const baselines = await Promise.all(WATCHED_REGIONS.map((r) => regionStatistics(client, config.platformKey, r.regionCode)));

  const ledgers = await createOrganizations(client, config.platformKey);
  printOrganizations(ledgers);
  const brands = await Promise.all(ledgers.map((ledger) => establishBrand(client, ledger)));
  printBrands(ledgers, brands);

  const importStarted = Date.now();
  const usedIds = new Set<string>();
  await Promise.all(ledgers.map((ledger) => importTrainees(client, ledger, usedIds)));
  printImports(ledgers, Date.now() - importStarted);

  // Trainees of all three brands interleaved, so that every firm and employer is busy at once.
  const journeysStarted = Date.now();
  const requestsBefore = client.tally.requests;
  const rosters = await Promise.all(ledgers.map((ledger) => listTrainees(client, ledger)));
  const journeys = shuffle(rosters.flatMap((trainees, i) => trainees.map((trainee) => ({ ledger: ledgers[i], trainee, journey: planJourney(ledgers[i].plan) }))));
  await inPool(journeys, REQUESTS_IN_FLIGHT, ({ ledger, trainee, journey }) => followJourney(client, ledger, trainee, journey));
  printJourneys(ledgers, journeys.length, client.tally, requestsBefore, Date.now() - journeysStarted);

  const regions = WATCHED_REGIONS.map((r, i) => ({ ...r, baseline: baselines[i], ledgers: ledgers.filter((l) => l.plan.regionCode.slice(0, 2) === r.regionCode.slice(0, 2)) }));
  const caughtUp = await waitForStatistics(client, config.platformKey, ledgers, regions);
  printAnswers(client.tally);
  printFigures(caughtUp);
  printCatchUp(caughtUp);

  say(`OpenAPI: ${config.baseUrl}/docs (JSON: ${config.baseUrl}/docs-json)`);
  say(`Brand ids: ${ledgers.map((l) => `${l.plan.name} ${l.brandId}`).join(', ')}`);
  say(`Done in ${seconds(Date.now() - started)}.`);
  return caughtUp.lagging.length === 0 ? 0 : 1;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (err: unknown) => {
    console.error(err instanceof DemoError ? err.message : `demo failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
