import type { BrandLevel, OrganizationKind, SalaryOffer, TargetGroup } from './client';
import { chance, normalBetween, roundTo } from './random';

/**
 * The three labor service brands of the design (DESIGN.md), as the demo builds them: who runs and certifies each,
 * who employs its trainees, how many trainees it takes in and from where, what they earn, and how far they get.
 */

export interface OrganizationPlan {
  kind: OrganizationKind;
  name: string;
  regionCode: string;
}

/** Shares of the trainees who reach each stage (of those who reached the one before). */
export interface Funnel {
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

export interface BrandPlan {
  name: string;
  occupationCode: string;
  occupationName: string;
  sector: string;
  regionCode: string;
  description: string;
  level: BrandLevel;
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
export function monthlyOffer(yuan: number): SalaryOffer {
  return { salaryFen: roundTo(yuan, 100) * 100, salaryPeriod: 'monthly' };
}

export function annualOffer(yuan: number): SalaryOffer {
  return { salaryFen: roundTo(yuan, 1000) * 100, salaryPeriod: 'annual' };
}

export const BRAND_PLANS: BrandPlan[] = [
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
