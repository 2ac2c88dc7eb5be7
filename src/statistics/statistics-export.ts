/**
 * The brand statistics list as a file (API.md, Exports): one row per public brand, the figures of
 * `GET /v1/statistics/brands` flattened into columns. The rows are that route's items, suppression included; this
 * file only says which column shows what. In English a heading is the item's field path (`salary.medianAnnualFen`).
 */
import type { Language } from '../common/i18n/language';
import { render } from '../common/i18n/message';
import type { MessageKey } from '../common/i18n/messages';
import type { Cell } from '../common/tabular/tabular-stream';
import type { BrandStatisticsListItem } from './dto/statistics.dto';

type Item = BrandStatisticsListItem;

const COLUMNS: ReadonlyArray<{ heading: MessageKey; cell: (item: Item) => Cell }> = [
  { heading: 'export.statistics.brandId', cell: (i) => i.brandId },
  { heading: 'export.statistics.brandName', cell: (i) => i.brandName },
  { heading: 'export.statistics.regionCode', cell: (i) => i.regionCode },
  { heading: 'export.statistics.occupationCode', cell: (i) => i.occupationCode },
  { heading: 'export.statistics.traineeCount', cell: (i) => i.traineeCount },
  { heading: 'export.statistics.registered', cell: (i) => i.traineesByStatus.registered },
  { heading: 'export.statistics.training', cell: (i) => i.traineesByStatus.training },
  { heading: 'export.statistics.completed', cell: (i) => i.traineesByStatus.completed },
  { heading: 'export.statistics.placed', cell: (i) => i.traineesByStatus.placed },
  { heading: 'export.statistics.withdrawn', cell: (i) => i.traineesByStatus.withdrawn },
  { heading: 'export.statistics.certifiedTraineeCount', cell: (i) => i.certifiedTraineeCount },
  { heading: 'export.statistics.certificationRate', cell: (i) => i.certificationRate },
  { heading: 'export.statistics.placedTraineeCount', cell: (i) => i.placedTraineeCount },
  { heading: 'export.statistics.placementRate', cell: (i) => i.placementRate },
  { heading: 'export.statistics.activePlacementCount', cell: (i) => i.activePlacementCount },
  { heading: 'export.statistics.endedPlacementCount', cell: (i) => i.endedPlacementCount },
  { heading: 'export.statistics.employerCount', cell: (i) => i.employerCount },
  { heading: 'export.statistics.sampleSize', cell: (i) => i.salary.sampleSize },
  { heading: 'export.statistics.medianAnnualFen', cell: (i) => i.salary.medianAnnualFen },
  { heading: 'export.statistics.p25AnnualFen', cell: (i) => i.salary.p25AnnualFen },
  { heading: 'export.statistics.p75AnnualFen', cell: (i) => i.salary.p75AnnualFen },
  { heading: 'export.statistics.meanAnnualFen', cell: (i) => i.salary.meanAnnualFen },
  { heading: 'export.statistics.suppressed', cell: (i) => String(i.salary.suppressed) },
  { heading: 'export.statistics.medianSalaryUpliftPct', cell: (i) => i.medianSalaryUpliftPct },
  { heading: 'export.statistics.medianDaysToPlacement', cell: (i) => i.medianDaysToPlacement },
  { heading: 'export.statistics.retention6mRate', cell: (i) => i.retention6mRate },
  { heading: 'export.statistics.retention12mRate', cell: (i) => i.retention12mRate },
  { heading: 'export.statistics.asOf', cell: (i) => i.asOf },
  { heading: 'export.statistics.computedAt', cell: (i) => i.computedAt },
];

export function statisticsExportHeader(language: Language): string[] {
  return COLUMNS.map((c) => render({ key: c.heading, params: {} }, language));
}

export function statisticsExportRow(item: Item): Cell[] {
  return COLUMNS.map((c) => c.cell(item));
}
