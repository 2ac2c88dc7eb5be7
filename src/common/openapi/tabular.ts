import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { CONTENT_LANGUAGE } from '../i18n/language';
import { CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE } from '../tabular/tabular-format';
import { ApiProblem } from './problems';

/**
 * A route that answers a file (common/tabular): CSV or .xlsx as `Accept` asks, with the headers that name the file
 * and its language, and the 406 problem when `Accept` admits neither.
 */
export function ApiTabularFile(description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Accept',
      required: false,
      description: `\`${CSV_MEDIA_TYPE}\` (the default, also for \`*/*\` or no header) or \`${XLSX_MEDIA_TYPE}\` (.xlsx); the higher weight wins, CSV on a tie. Anything else: 406 \`NOT_ACCEPTABLE\`.`,
    }),
    ApiHeader({ name: 'Accept-Language', required: false, description: 'The language of the heading row: `zh` (`zh-CN`, `zh-Hans`) Simplified Chinese, anything else English (the field names)' }),
    ApiResponse({
      status: 200,
      description: `${description} Streamed (chunked): an answer cut off without its final chunk is an incomplete file, never a whole one.`,
      headers: {
        'Content-Disposition': {
          required: true,
          description: '`attachment` with the file name: `filename` in ASCII, and `filename*` (RFC 8187, UTF-8) when the name is not plain ASCII',
          schema: { type: 'string', pattern: '^attachment; filename="[ -~]+"(; filename\\*=UTF-8\'\'\\S+)?$' },
        },
        'Content-Language': { required: true, description: 'The language of the heading row', schema: { type: 'string', enum: Object.values(CONTENT_LANGUAGE) } },
        'Cache-Control': { required: true, description: 'Exports are never cached', schema: { type: 'string', enum: ['no-store'] } },
      },
      content: {
        [CSV_MEDIA_TYPE]: { schema: { type: 'string', description: 'UTF-8 with a byte order mark (so Excel reads it as UTF-8), RFC 4180 records ending CRLF; text beginning with = + - @ is written with a leading apostrophe so spreadsheets do not run it as a formula' } },
        [XLSX_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary', description: 'One worksheet, the heading row first' } },
      },
    }),
    ApiProblem(406, '`NOT_ACCEPTABLE`: the `Accept` header admits neither text/csv nor .xlsx'),
  );
}
