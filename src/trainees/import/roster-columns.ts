/**
 * The roster's columns, in one place, for both directions (API.md, Trainees "Import" and "Exports"): what each
 * column of a trainee file is called in English (the register body's field names) and in Chinese (what HR staff
 * type in Excel), which register field it fills and in which unit, and which columns only an export writes.
 *
 * The importer resolves a header with `planRosterHeader`; an export writes `EXPORT_COLUMNS` under
 * `rosterHeader(name, language)`. Because both read this table, an export's header always imports back: the
 * export-only columns are ignored, the masked ones are read only once the full value has been filled in, and a
 * salary column is read in the unit its header names (`expectedMonthlySalaryFen`/期望月薪（分） in fen,
 * 期望月薪（元） in yuan).
 *
 * Pure: no Nest, no I/O, so its rules unit-test in milliseconds.
 */
import type { Language } from '../../common/i18n/language';
import { msg, type Message } from '../../common/i18n/message';
import { REGISTRATION_FIELDS, REQUIRED_REGISTRATION_FIELDS } from '../registration';
import { TARGET_GROUPS, type TargetGroup } from '../trainee.rules';

/** A field of the register body, which is what an import row fills. */
export type RegisterField = (typeof REGISTRATION_FIELDS)[number];

/**
 * - `register`: fills a register field.
 * - `masked`: an export's masked value (`110105********002X`); fills its field only when someone has typed the full
 *   value over the mask, and never wins over a `register` column of the same field.
 * - `exportOnly`: written by exports, derived or owned by the server; the importer ignores it.
 */
export type RosterColumnRole = 'register' | 'masked' | 'exportOnly';

/** The unit of a money column's cells: an integer of fen, or yuan with up to 2 decimals and thousands separators. */
export type MoneyUnit = 'fen' | 'yuan';

export interface RosterColumn {
  /** The column's English header, also its key here (the register field's name, or the export's field name). */
  readonly name: string;
  readonly role: RosterColumnRole;
  /** The register field the column fills; null for export-only columns. */
  readonly field: RegisterField | null;
  /** Money columns only: how their cells are written. */
  readonly unit?: MoneyUnit;
  /** The Chinese header an export writes (Accept-Language: zh). */
  readonly zh: string;
  /** Every Chinese header the importer accepts for this column, `zh` first. */
  readonly zhAliases: readonly string[];
}

function column(name: string, role: RosterColumnRole, field: RegisterField | null, zhAliases: readonly [string, ...string[]], unit?: MoneyUnit): RosterColumn {
  return { name, role, field, ...(unit ? { unit } : {}), zh: zhAliases[0], zhAliases };
}

/**
 * Every column a roster file may have. Brackets are written full-width, as Chinese Excel users type them;
 * `normaliseHeader` makes 期望月薪(元) match 期望月薪（元） anyway.
 */
export const ROSTER_COLUMNS: readonly RosterColumn[] = [
  column('id', 'exportOnly', null, ['编号', '学员编号']),
  column('fullName', 'register', 'fullName', ['姓名']),
  column('nationalId', 'register', 'nationalId', ['身份证号', '身份证号码', '公民身份号码']),
  column('nationalIdMasked', 'masked', 'nationalId', ['身份证号（脱敏）']),
  column('gender', 'exportOnly', null, ['性别']),
  column('birthDate', 'exportOnly', null, ['出生日期']),
  column('phone', 'register', 'phone', ['手机号', '手机号码', '联系电话']),
  column('phoneMasked', 'masked', 'phone', ['手机号（脱敏）']),
  column('targetGroups', 'register', 'targetGroups', ['重点群体', '人员类别']),
  column('cohort', 'register', 'cohort', ['培训批次', '批次']),
  column('expectedMonthlySalaryFen', 'register', 'expectedMonthlySalaryFen', ['期望月薪（分）'], 'fen'),
  // Chinese rosters state salaries in yuan; an English header for the same column is accepted too.
  column('expectedMonthlySalaryYuan', 'register', 'expectedMonthlySalaryFen', ['期望月薪（元）'], 'yuan'),
  column('status', 'exportOnly', null, ['状态']),
  column('registeredAt', 'exportOnly', null, ['登记时间']),
];

/** The columns of a trainee export, in order (API.md, Exports). */
export const EXPORT_COLUMNS = ['id', 'fullName', 'nationalIdMasked', 'gender', 'birthDate', 'phoneMasked', 'targetGroups', 'cohort', 'expectedMonthlySalaryFen', 'status', 'registeredAt'] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

const BY_NAME = new Map(ROSTER_COLUMNS.map((c) => [c.name, c]));

/** A column by its English name (`rosterColumn('phoneMasked').zh === '手机号（脱敏）'`). */
export function rosterColumn(name: string): RosterColumn {
  const found = BY_NAME.get(name);
  if (!found) throw new RangeError(`no roster column '${name}'`);
  return found;
}

/** The header an export writes for a column in a language: the field name in English, `zh` in Chinese. */
export function rosterHeader(name: ExportColumn, language: Language): string {
  return language === 'zh' ? rosterColumn(name).zh : name;
}

/**
 * A header cell as compared: trimmed, NFKC (full-width brackets, letters and digits become their ASCII twins)
 * and without the spaces people put around brackets (`期望月薪 (元)`). Case is kept: field names are camelCase.
 */
export function normaliseHeader(cell: string): string {
  return cell.normalize('NFKC').trim().replace(/\s*([()])\s*/g, '$1');
}

const BY_HEADER = new Map<string, RosterColumn>();
for (const c of ROSTER_COLUMNS) {
  for (const name of [c.name, ...c.zhAliases]) BY_HEADER.set(normaliseHeader(name), c);
}

/** The column a header cell names, or undefined. */
export function resolveHeader(cell: string): RosterColumn | undefined {
  return BY_HEADER.get(normaliseHeader(cell));
}

/** Every header the importer accepts, for messages: the English names, then the Chinese ones. */
export const ACCEPTED_HEADERS: readonly string[] = [...ROSTER_COLUMNS.map((c) => c.name), ...ROSTER_COLUMNS.flatMap((c) => c.zhAliases)];

// ---------------------------------------------------------------------------------------------- the header

/** What the reader does with the cell at one position of a data row. */
export type ColumnPlan = { column: RosterColumn; field: RegisterField } | { column: RosterColumn; field: null } | null;

export interface RosterHeader {
  /** One entry per header position: the column and field it fills, or null for an ignored (export-only) column. */
  readonly positions: readonly ColumnPlan[];
  /** The register fields some column fills. */
  readonly fields: ReadonlySet<RegisterField>;
}

export type RosterHeaderResult = { ok: true; header: RosterHeader } | { ok: false; problems: Message[] };

/**
 * Names are echoed in messages only when they look like a field name. Anything else is most often a data row standing where the header should be (someone's name or
 * identity number), which must not end up in a response that may be stored or logged.
 */
const FIELD_NAME_LIKE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Reads a header row (cells as the file has them). Problems: an empty heading, an unknown one, two columns
 * filling the same field (身份证号 and 公民身份号码, or a column twice), a required field no column fills. A masked
 * column beside its full one is not a duplicate: an export's header with the full column added stays importable.
 */
export function planRosterHeader(cells: readonly string[]): RosterHeaderResult {
  const problems: Message[] = [];
  const unknown: Message[] = [];
  const filledBy = new Map<RegisterField, RosterColumn>();
  const maskedFields = new Map<RegisterField, RosterColumn>();
  const seen = new Set<string>();
  const positions: ColumnPlan[] = cells.map((cell, index) => {
    const position = index + 1;
    if (normaliseHeader(cell) === '') {
      problems.push(msg('import.headerEmpty', { position }));
      return null;
    }
    const found = resolveHeader(cell);
    if (!found) {
      unknown.push(describeUnknownHeader(cell, position));
      return null;
    }
    if (seen.has(found.name) || (found.field && found.role === 'register' && filledBy.has(found.field)) || (found.field && found.role === 'masked' && maskedFields.has(found.field))) {
      problems.push(msg('import.headerDuplicate', { column: normaliseHeader(cell) }));
      return null;
    }
    seen.add(found.name);
    if (found.field === null) return null;
    (found.role === 'masked' ? maskedFields : filledBy).set(found.field, found);
    return { column: found, field: found.field };
  });
  const fields = new Set<RegisterField>([...filledBy.keys(), ...maskedFields.keys()]);
  const missing = REQUIRED_REGISTRATION_FIELDS.filter((f) => !fields.has(f));
  if (missing.length > 0) problems.unshift(msg(missing.length > 1 ? 'import.headerMissingMany' : 'import.headerMissing', { columns: missing.map(describeField).join(', ') }));
  if (unknown.length > 0) problems.push(msg(unknown.length > 1 ? 'import.headerUnknownMany' : 'import.headerUnknown', { columns: msg('import.list', { items: unknown }) }));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, header: { positions, fields } };
}

/** A missing field with its Chinese header, so that a Chinese roster's author knows what to add. */
function describeField(field: RegisterField): string {
  return `${field} (${rosterColumn(field).zh})`;
}

function describeUnknownHeader(cell: string, position: number): Message {
  const name = normaliseHeader(cell);
  // A Chinese heading is never echoed: it cannot be told from a person's name in a file without its header row.
  if (/\p{Script=Han}/u.test(name)) return msg('import.headerUnknownAt', { position });
  if (!FIELD_NAME_LIKE.test(name)) return msg('import.headerNotAName', { position });
  const near = REGISTRATION_FIELDS.find((f) => f.toLowerCase() === name.toLowerCase());
  // JSON.stringify makes stray spaces visible: " nationalId".
  return near === undefined ? msg('import.headerName', { name: JSON.stringify(cell) }) : msg('import.headerNameNear', { name: JSON.stringify(cell), near });
}

// ---------------------------------------------------------------------------------------------- the cells

/** The fields of one roster row, ready for parseRegistration, or the one problem that stops the row. */
export type RosterRowResult = { ok: true; fields: Record<string, unknown> } | { ok: false; field: string; code: string; message: Message };

/** A masked value as exports write it: it still contains the mask character. */
export function isMaskedValue(value: string): boolean {
  return value.includes('*');
}

/**
 * Identity numbers and phones as typed into a spreadsheet: NFKC (full-width digits and letters become ASCII), a
 * final lower-case x upper-cased, spaces and hyphens people use for grouping removed.
 */
export function normaliseIdentityCell(value: string): string {
  return value.normalize('NFKC').trim().replace(/[\s-]/g, '').toUpperCase();
}

/**
 * One data row's cells (strings, trimmed or not; undefined or '' for empty) under a planned header, as the
 * register body parseRegistration checks. Cells are trimmed; identity numbers and phones NFKC-normalised; target
 * groups may be Chinese; a yuan salary becomes fen. A masked cell counts as empty, so a row whose identity number
 * is still masked fails as one with none, with a message saying to fill it in.
 */
export function rosterRowFields(header: RosterHeader, cells: readonly (string | number | undefined)[]): RosterRowResult {
  const fields: Record<string, unknown> = {};
  const cellAt = (index: number): string => {
    const cell = cells[index];
    return cell === undefined ? '' : typeof cell === 'number' ? numberCell(cell) : cell.trim();
  };
  let unit: MoneyUnit | undefined;
  let identityIsNumber = false;
  header.positions.forEach((plan, index) => {
    if (plan?.field && plan.column.role === 'register' && cellAt(index) !== '') {
      fields[plan.field] = cellAt(index);
      if (plan.column.unit) unit = plan.column.unit;
      if (plan.field === 'nationalId' && typeof cells[index] === 'number') identityIsNumber = true;
    }
  });
  // A masked column counts only where no full column of its field has a value, and only once it has been filled in.
  let maskedIdentity = false;
  header.positions.forEach((plan, index) => {
    if (!plan?.field || plan.column.role !== 'masked' || fields[plan.field] !== undefined || cellAt(index) === '') return;
    if (!isMaskedValue(cellAt(index))) {
      fields[plan.field] = cellAt(index);
      if (plan.field === 'nationalId' && typeof cells[index] === 'number') identityIsNumber = true;
    } else if (plan.field === 'nationalId') maskedIdentity = true;
  });

  // An 18-digit number is beyond a double's 15–16 significant digits: the cell no longer holds what was typed.
  if (identityIsNumber) return { ok: false, field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: msg('import.excelNumberId') };
  if (fields.nationalId === undefined && maskedIdentity) {
    return { ok: false, field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: msg('import.maskedNationalId') };
  }
  if (typeof fields.nationalId === 'string') fields.nationalId = normaliseIdentityCell(fields.nationalId);
  if (typeof fields.phone === 'string') fields.phone = normaliseIdentityCell(fields.phone);
  if (typeof fields.targetGroups === 'string') {
    const groups = parseTargetGroups(fields.targetGroups);
    if (groups === null) return { ok: false, field: 'targetGroups', code: 'INVALID_TARGET_GROUP', message: msg('import.targetGroups', { values: TARGET_GROUP_CHOICES }) };
    fields.targetGroups = groups;
  }
  if (typeof fields.expectedMonthlySalaryFen === 'string' && unit === 'yuan') {
    const fen = yuanToFen(fields.expectedMonthlySalaryFen);
    if (fen === null) return { ok: false, field: 'expectedMonthlySalaryFen', code: 'INVALID_AMOUNT', message: msg('import.salaryYuan', { column: rosterColumn('expectedMonthlySalaryYuan').zh }) };
    fields.expectedMonthlySalaryFen = fen;
  } else if (typeof fields.expectedMonthlySalaryFen === 'string') {
    fields.expectedMonthlySalaryFen = fields.expectedMonthlySalaryFen.normalize('NFKC').replace(/,/g, '');
  }
  return { ok: true, fields };
}

/** A spreadsheet number as text: integers without exponent or grouping (a phone, an amount), decimals as JS writes them. */
function numberCell(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toFixed(0) : String(value);
}

// ---------------------------------------------------------------------------------------------- values

/** The Chinese name of each target group, as rosters write them and Chinese exports may. */
export const TARGET_GROUP_ZH: Readonly<Record<TargetGroup, string>> = {
  graduate: '高校毕业生',
  veteran: '退役军人',
  rural_migrant: '农民工',
  unemployed: '失业人员',
  disabled: '残疾人',
};

/** What separates target groups in a cell: `;`, `；`, `、` or `,` (and the full-width comma, which NFKC folds to `,`). */
export const TARGET_GROUP_SEPARATORS = /[;；、,，]/;

const TARGET_GROUP_CHOICES = TARGET_GROUPS.map((g) => `${g} (${TARGET_GROUP_ZH[g]})`).join(', ');

const GROUP_BY_NAME = new Map<string, TargetGroup>([...TARGET_GROUPS.map((g) => [g, g] as const), ...TARGET_GROUPS.map((g) => [TARGET_GROUP_ZH[g], g] as const)]);

/**
 * A target-group cell (`graduate;veteran`, `高校毕业生、退役军人`, mixed alike) as codes, in the order written, or
 * null when a name is not a target group. Duplicates are kept for parseRegistration to report.
 */
export function parseTargetGroups(cell: string): TargetGroup[] | null {
  const groups: TargetGroup[] = [];
  for (const part of cell.split(TARGET_GROUP_SEPARATORS)) {
    const name = part.trim();
    if (name === '') continue;
    const group = GROUP_BY_NAME.get(name);
    if (!group) return null;
    groups.push(group);
  }
  return groups;
}

/** Target groups as an export writes them: codes joined by `;` in English, Chinese names joined by `、` in Chinese. */
export function formatTargetGroups(groups: readonly TargetGroup[], language: Language): string {
  return language === 'zh' ? groups.map((g) => TARGET_GROUP_ZH[g]).join('、') : groups.join(';');
}

/** Chinese words for an export's gender and status cells (the importer ignores those columns). */
export const GENDER_ZH: Readonly<Record<'male' | 'female', string>> = { male: '男', female: '女' };
export const TRAINEE_STATUS_ZH: Readonly<Record<'registered' | 'training' | 'completed' | 'placed' | 'withdrawn', string>> = {
  registered: '已登记',
  training: '培训中',
  completed: '已结业',
  placed: '已就业',
  withdrawn: '已退出',
};

/** Yuan as people write it: digits, thousands separators (all or none, every 3 digits), up to 2 decimals. */
const YUAN = /^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$/;
/** Beyond this many digits before the point the amount is not a monthly salary (and would lose precision). */
const MAX_YUAN_DIGITS = 12;

/** An amount in yuan (`8,500.50`, `¥8500`, full-width digits alike) as integer fen, or null when it is not one. */
export function yuanToFen(cell: string): number | null {
  const text = cell.normalize('NFKC').trim().replace(/^[¥￥]\s*/, '');
  if (!YUAN.test(text)) return null;
  const [whole, decimals = ''] = text.replace(/,/g, '').split('.');
  if (whole.length > MAX_YUAN_DIGITS) return null;
  return Number(whole) * 100 + Number(decimals.padEnd(2, '0'));
}

/** Fen as an export would write yuan (`850050` → `8500.50`), for a Chinese export that chooses the yuan column. */
export function fenToYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
