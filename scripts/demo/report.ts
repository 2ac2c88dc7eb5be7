import type { AnswerTally, Brand } from './client';
import type { BrandLedger, CaughtUp } from './ledger';

/** What the demo prints: console tables of what it did and of the figures the service shows. */

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const count = (n: number): string => n.toLocaleString('en-US');
/** Whole yuan without decimals, anything else with both jiao and fen: 176,000 and 176,562.40. */
const yuan = (fen: number | null): string =>
  fen === null ? '–' : (fen / 100).toLocaleString('en-US', { minimumFractionDigits: fen % 100 === 0 ? 0 : 2, maximumFractionDigits: 2 });
const percent = (value: number | null, digits = 1): string => (value === null ? '–' : value.toFixed(digits));
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

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

export function printOrganizations(ledgers: BrandLedger[]): void {
  say('Organizations (each with its own API key)');
  const organizations = ledgers.flatMap((l) => [l.bureau, l.operator, ...l.employerOrgs]);
  const rows = organizations.map((o) => [o.kind, o.name, o.regionCode, o.creditCode, o.id]);
  table(['kind', 'name', 'region', 'credit code', 'id'], rows, 5).forEach((line) => say(`  ${line}`));
  say();
}

export function printBrands(ledgers: BrandLedger[], brands: Brand[]): void {
  say('Brands, certified by their bureaus');
  const rows = ledgers.map((l, i) => [l.plan.name, `${l.plan.occupationCode} ${l.plan.occupationName}`, l.plan.regionCode, `${brands[i].level} until ${brands[i].validUntil}`, l.brandId]);
  table(['brand', 'occupation', 'region', 'level', 'id'], rows, 5).forEach((line) => say(`  ${line}`));
  say();
}

export function printImports(ledgers: BrandLedger[], ms: number): void {
  say(`Trainee imports (CSV, POST /v1/brands/:id/trainees/import) in ${seconds(ms)}`);
  const rows = ledgers.map((l) => [l.plan.name, count(l.imported.received), count(l.imported.created), count(l.imported.duplicates), count(l.imported.rejected)]);
  table(['brand', 'received', 'created', 'duplicates', 'rejected'], rows).forEach((line) => say(`  ${line}`));
  for (const l of ledgers) for (const e of l.imported.errors.slice(0, 3)) say(`  ${l.plan.name} row ${e.row}: ${e.field} ${e.code} ${e.message}`);
  say();
}

export function printJourneys(ledgers: BrandLedger[], trainees: number, tally: AnswerTally, requestsBefore: number, ms: number, inFlight: number): void {
  const requests = tally.requests - requestsBefore;
  say(`Journeys of ${count(trainees)} trainees: ${count(requests)} requests in ${seconds(ms)} (${count(Math.round(requests / (ms / 1000)))}/s, ${inFlight} in flight)`);
  const rows = ledgers.map((l) => [l.plan.name, count(l.certifiedTrainees.size), count(l.confirmed), count(l.rejected), count(l.ended), count(l.raises)]);
  table(['brand', 'certified', 'confirmed', 'rejected', 'ended', 'raises'], rows).forEach((line) => say(`  ${line}`));
  say();
}

export function printAnswers(tally: AnswerTally): void {
  const byStatus = [...tally.byStatus].sort(([a], [b]) => a - b).map(([status, n]) => `${status} × ${count(n)}`);
  say(`Answers: ${count(tally.requests)} requests; ${byStatus.join(', ')}; ${count(tally.failures)} not 2xx`);
  for (const problem of tally.problems) say(`  ${problem}`);
  say();
}

export function printFigures(caughtUp: CaughtUp): void {
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

export function printCatchUp(caughtUp: CaughtUp): void {
  if (caughtUp.lagging.length === 0) {
    say(`Statistics caught up ${seconds(caughtUp.waitedMs)} after the last request: every figure above matches what the demo did.`);
  } else {
    say(`Statistics did NOT catch up within ${seconds(caughtUp.timeoutMs)}; still different:`);
    for (const line of caughtUp.lagging) say(`  ${line}`);
  }
  say();
}

/** The public pages of what the demo made: the directory, each brand's page, its region's page. */
export function printPages(baseUrl: string, ledgers: BrandLedger[]): void {
  say(`Public pages (no key; 中文 by default, English by the switch or ?lang=en): ${baseUrl}/`);
  const rows = ledgers.map((l) => [l.plan.name, `${baseUrl}/brands/${l.brandId}`, `${baseUrl}/regions/${l.plan.regionCode}`]);
  table(['brand', 'brand page', 'region page'], rows, 3).forEach((line) => say(`  ${line}`));
}
