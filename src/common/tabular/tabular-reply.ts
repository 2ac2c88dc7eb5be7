import type { FastifyReply } from 'fastify';
import { CONTENT_LANGUAGE, type Language } from '../i18n/language';
import { msg } from '../i18n/message';
import { ProblemError } from '../problems/problem';
import { attachmentDisposition, negotiateTabularFormat, TABULAR_FORMATS, type TabularFormat } from './tabular-format';
import { tabularStream, type Table } from './tabular-stream';

/** The format `Accept` asks for, or 406 NOT_ACCEPTABLE when it admits neither CSV nor .xlsx. */
export function requireTabularFormat(accept: string | string[] | undefined): TabularFormat {
  const format = negotiateTabularFormat(accept);
  if (format === null) throw new ProblemError('NOT_ACCEPTABLE', msg('export.notAcceptable', { csv: TABULAR_FORMATS.csv.mediaType, xlsx: TABULAR_FORMATS.xlsx.mediaType }));
  return format;
}

export interface TabularFile {
  format: TabularFormat;
  language: Language;
  /** The file's name without extension, as a person reads it (a brand's Chinese name, say). */
  name: string;
  /** A plain-ASCII name without extension, for clients that cannot take `filename*`. */
  asciiName: string;
  table: Table;
}

/** Streams the table as the whole answer: 200, the file's media type, `Content-Disposition: attachment` with its name. */
export function sendTabularFile(reply: FastifyReply, file: TabularFile): FastifyReply {
  const { contentType, extension } = TABULAR_FORMATS[file.format];
  return reply
    .status(200)
    .header('content-type', contentType)
    .header('content-disposition', attachmentDisposition(`${file.name}.${extension}`, `${file.asciiName}.${extension}`))
    .header('content-language', CONTENT_LANGUAGE[file.language])
    // Exports hold personal data and figures of the moment: no cache keeps a copy.
    .header('cache-control', 'no-store')
    .send(tabularStream(file.format, file.table));
}
