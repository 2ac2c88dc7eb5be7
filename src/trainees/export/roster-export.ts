/**
 * A brand's roster as a file (API.md, Exports): which columns, in which order, under which headings, and what each
 * cell holds. Personal data only masked: the full identity number and phone are never read for an export.
 */
import type { Language } from '../../common/i18n/language';
import type { Cell } from '../../common/tabular/tabular-stream';
import type { TraineeExportRow } from '../trainees.repository';

/** The columns of an export, in order; in English the headings are these field names. */
export const ROSTER_EXPORT_COLUMNS = [
  'id',
  'fullName',
  'nationalIdMasked',
  'gender',
  'birthDate',
  'phoneMasked',
  'targetGroups',
  'cohort',
  'expectedMonthlySalaryFen',
  'status',
  'registeredAt',
] as const;
export type RosterExportColumn = (typeof ROSTER_EXPORT_COLUMNS)[number];

/** The heading row of an export in a language. */
export function rosterExportHeader(language: Language): string[] {
  return ROSTER_EXPORT_COLUMNS.map((column) => column);
}

/** One trainee's row of an export, cells in the order of ROSTER_EXPORT_COLUMNS. */
export function rosterExportRow(row: TraineeExportRow, language: Language): Cell[] {
  return [
    row.id,
    row.fullName,
    row.nationalIdMasked,
    row.gender,
    row.birthDate,
    row.phoneMasked,
    row.targetGroups.join(';'),
    row.cohort,
    row.expectedMonthlySalaryFen === null ? null : Number(row.expectedMonthlySalaryFen),
    row.status,
    row.registeredAt.toISOString(),
  ];
}
