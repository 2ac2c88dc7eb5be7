import { coverPrefix, NATIONAL_REGION_CODE, regionLevel } from '../../src/common/identifiers/region-code';
import { lang, t } from './i18n';

/** Province-level divisions (GB/T 2260), by their two-digit prefix: [Chinese, English]. */
export const PROVINCES: Record<string, [string, string]> = {
  '11': ['北京市', 'Beijing'], '12': ['天津市', 'Tianjin'], '13': ['河北省', 'Hebei'], '14': ['山西省', 'Shanxi'],
  '15': ['内蒙古自治区', 'Inner Mongolia'], '21': ['辽宁省', 'Liaoning'], '22': ['吉林省', 'Jilin'], '23': ['黑龙江省', 'Heilongjiang'],
  '31': ['上海市', 'Shanghai'], '32': ['江苏省', 'Jiangsu'], '33': ['浙江省', 'Zhejiang'], '34': ['安徽省', 'Anhui'],
  '35': ['福建省', 'Fujian'], '36': ['江西省', 'Jiangxi'], '37': ['山东省', 'Shandong'], '41': ['河南省', 'Henan'],
  '42': ['湖北省', 'Hubei'], '43': ['湖南省', 'Hunan'], '44': ['广东省', 'Guangdong'], '45': ['广西壮族自治区', 'Guangxi'],
  '46': ['海南省', 'Hainan'], '50': ['重庆市', 'Chongqing'], '51': ['四川省', 'Sichuan'], '52': ['贵州省', 'Guizhou'],
  '53': ['云南省', 'Yunnan'], '54': ['西藏自治区', 'Tibet'], '61': ['陕西省', 'Shaanxi'], '62': ['甘肃省', 'Gansu'],
  '63': ['青海省', 'Qinghai'], '64': ['宁夏回族自治区', 'Ningxia'], '65': ['新疆维吾尔自治区', 'Xinjiang'],
  '71': ['台湾省', 'Taiwan'], '81': ['香港特别行政区', 'Hong Kong'], '82': ['澳门特别行政区', 'Macao'],
};

export const provinceName = (prefix: string): string | null => PROVINCES[prefix]?.[lang === 'zh' ? 0 : 1] ?? null;

/** A region as people read it: its province's name, and the code below that level. */
export function regionName(code: string): string {
  if (code === NATIONAL_REGION_CODE) return t('nation');
  const province = provinceName(code.slice(0, 2)) ?? code;
  return regionLevel(code) === 'province' ? province : `${province} · ${code}`;
}

/** The regions above a code, the nation first, then the code itself: for a breadcrumb. */
export function regionTrail(code: string): string[] {
  if (code === NATIONAL_REGION_CODE) return [code];
  const trail = [NATIONAL_REGION_CODE, `${code.slice(0, 2)}0000`];
  if (regionLevel(code) !== 'province') trail.push(`${code.slice(0, 4)}00`);
  if (regionLevel(code) === 'district') trail.push(code);
  return [...new Set(trail)];
}

/** The `regionCode` filter of the brand lists for a region: the prefix it covers ('' for the nation). */
export const regionFilter = (code: string): string => coverPrefix(code);
