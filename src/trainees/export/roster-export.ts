/**
 * A brand's roster as a file (API.md, Exports): the columns of the roster catalogue's EXPORT_COLUMNS, under the
 * headings it gives (the field names in English, the Chinese names the importer reads back in Chinese), and what
 * each cell holds. Personal data only masked: the full identity number and phone are never read for an export.
 *
 * A Chinese export speaks as a Chinese roster does: the expected salary in yuan under 期望月薪（元） (the
 * catalogue's yuan column, which the importer reads in yuan), target groups, gender and status in Chinese words.
 * An English one writes codes and fen, as the JSON does.
 */
import type { Language } from '../../common/i18n/language';
import type { Cell } from '../../common/tabular/tabular-stream';
import { EXPORT_COLUMNS, fenToYuan, formatTargetGroups, GENDER_ZH, rosterColumn, rosterHeader, TRAINEE_STATUS_ZH, type ExportColumn } from '../import/roster-columns';
import type { TargetGroup } from '../trainee.rules';
import type { TraineeExportRow } from '../trainees.repository';

/** The catalogue column a Chinese export writes for the expected salary: the yuan one. */
const ZH_SALARY_COLUMN = rosterColumn('expectedMonthlySalaryYuan');

function heading(column: ExportColumn, language: Language): string {
  return language === 'zh' && column === 'expectedMonthlySalaryFen' ? ZH_SALARY_COLUMN.zh : rosterHeader(column, language);
}

/** The heading row of an export in a language. */
export function rosterExportHeader(language: Language): string[] {
  return EXPORT_COLUMNS.map((column) => heading(column, language));
}

const CELLS: Record<ExportColumn, (row: TraineeExportRow, language: Language) => Cell> = {
  id: (r) => r.id,
  fullName: (r) => r.fullName,
  nationalIdMasked: (r) => r.nationalIdMasked,
  gender: (r, language) => (r.gender === null ? null : language === 'zh' ? GENDER_ZH[r.gender] : r.gender),
  birthDate: (r) => r.birthDate,
  phoneMasked: (r) => r.phoneMasked,
  targetGroups: (r, language) => (language === 'zh' && r.targetGroups !== '' ? formatTargetGroups(r.targetGroups.split(';') as TargetGroup[], language) : r.targetGroups),
  cohort: (r) => r.cohort,
  expectedMonthlySalaryFen: (r, language) => {
    if (r.expectedMonthlySalaryFen === null) return null;
    const fen = Number(r.expectedMonthlySalaryFen);
    return language === 'zh' && ZH_SALARY_COLUMN.unit === 'yuan' ? Number(fenToYuan(fen)) : fen;
  },
  status: (r, language) => (language === 'zh' ? TRAINEE_STATUS_ZH[r.status] : r.status),
  registeredAt: (r) => r.registeredAt,
};

/** One trainee's row of an export, cells in the order of the heading row. */
export function rosterExportRow(row: TraineeExportRow, language: Language): Cell[] {
  return EXPORT_COLUMNS.map((column) => CELLS[column](row, language));
}
