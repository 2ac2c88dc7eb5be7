/**
 * The file formats a table is exported in (API.md, Exports), chosen by `Accept`, and how the file is named in
 * `Content-Disposition`. Pure functions: no Nest, no streams.
 */

export const CSV_MEDIA_TYPE = 'text/csv';
export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export type TabularFormat = 'csv' | 'xlsx';

export const TABULAR_FORMATS: Record<TabularFormat, { mediaType: string; contentType: string; extension: string }> = {
  // Excel reads a CSV as UTF-8 only when it starts with a BOM; the charset parameter says so to everyone else.
  csv: { mediaType: CSV_MEDIA_TYPE, contentType: `${CSV_MEDIA_TYPE}; charset=utf-8`, extension: 'csv' },
  xlsx: { mediaType: XLSX_MEDIA_TYPE, contentType: XLSX_MEDIA_TYPE, extension: 'xlsx' },
};

/** In the order a tie is settled: CSV is the default. */
const PREFERENCE: readonly TabularFormat[] = ['csv', 'xlsx'];

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function mediaRanges(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',').slice(0, 50)) {
    const [range, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const slash = range.indexOf('/');
    if (slash <= 0 || slash === range.length - 1) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    ranges.push({ type: range.slice(0, slash), subtype: range.slice(slash + 1), q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 });
  }
  return ranges;
}

/** The weight `accept` gives a media type: that of the most specific range matching it (RFC 9110 §12.5.1); 0 for none. */
function weightOf(mediaType: string, ranges: readonly MediaRange[]): number {
  const [type, subtype] = mediaType.split('/');
  let best: { specificity: number; q: number } | null = null;
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' && r.subtype === '*' ? 0 : -1;
    if (specificity < 0 || (best && best.specificity >= specificity)) continue;
    best = { specificity, q: r.q };
  }
  return best?.q ?? 0;
}

/**
 * The format an `Accept` header asks for: the acceptable one with the highest weight, CSV on a tie or without the
 * header; null when the header admits neither (the caller answers 406).
 */
export function negotiateTabularFormat(accept: string | string[] | undefined): TabularFormat | null {
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  if (header === undefined || header.trim() === '') return 'csv';
  const ranges = mediaRanges(header);
  // A header of nothing but unreadable ranges says nothing: the default.
  if (ranges.length === 0) return 'csv';
  let chosen: TabularFormat | null = null;
  let weight = 0;
  for (const format of PREFERENCE) {
    const w = weightOf(TABULAR_FORMATS[format].mediaType, ranges);
    if (w > weight) [chosen, weight] = [format, w];
  }
  return chosen;
}

/** Characters no file name may hold on the systems people save to (Windows is the strictest), nor control characters. */
// eslint-disable-next-line no-control-regex
const NOT_IN_FILE_NAMES = /[\u0000-\u001f\u007f"*/:<>?\\|]+/g;

/** A name that can be saved as it is: forbidden characters become '_', runs of spaces one space, at most 120 characters. */
export function safeFileName(name: string): string {
  const cleaned = name.normalize('NFC').replace(NOT_IN_FILE_NAMES, '_').replace(/\s+/g, ' ').trim();
  return Array.from(cleaned).slice(0, 120).join('') || 'export';
}

/** RFC 8187 (formerly 5987) `attr-char`: what an ext-value may hold without percent-encoding. */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/;

function extValue(text: string): string {
  let out = "UTF-8''";
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && ATTR_CHAR.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `Content-Disposition: attachment` naming the file (RFC 6266): `filename` in plain ASCII for old clients, and
 * `filename*` (RFC 8187, UTF-8) with the name as meant when it is not plain ASCII (a brand's Chinese name).
 * `asciiFallback` is used when the name is not ASCII: a name with its Chinese letters dropped is no name.
 */
export function attachmentDisposition(fileName: string, asciiFallback: string): string {
  const name = safeFileName(fileName);
  // %, and quotes and backslashes (already gone), would be read as escapes by some clients in the quoted form.
  const isPlain = /^[\x20-\x7e]*$/.test(name) && !name.includes('%');
  const fallback = isPlain ? name : safeFileName(asciiFallback).replace(/[^\x20-\x7e]|%/g, '_');
  return isPlain ? `attachment; filename="${fallback}"` : `attachment; filename="${fallback}"; filename*=${extValue(name)}`;
}
