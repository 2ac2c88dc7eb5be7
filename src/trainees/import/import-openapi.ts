import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtension } from '@nestjs/swagger';
import { REQUEST_CONTENT } from '../../common/openapi/document';
import { XLSX_MEDIA_TYPE } from './import-body';

const EXAMPLE_ID = '11010519491231002X';

/** A roster file as the body of both import routes, with an example per media type. */
export function ApiRosterFileBody(description: string): MethodDecorator {
  return applyDecorators(
    ApiConsumes('text/csv', 'application/x-ndjson', XLSX_MEDIA_TYPE),
    ApiBody({ description, schema: { type: 'string' } }),
    ApiExtension(REQUEST_CONTENT, {
      'text/csv': {
        schema: { type: 'string' },
        examples: {
          english: { summary: 'Field names as headers', value: `fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen\n张伟,${EXAMPLE_ID},13812345678,graduate;veteran,2024春,800000\n` },
          chinese: { summary: 'Chinese headers, salary in yuan', value: `姓名,身份证号码,手机号,重点群体,培训批次,期望月薪（元）\n张伟,${EXAMPLE_ID},13812345678,高校毕业生、退役军人,2024春,"8,000.00"\n` },
        },
      },
      'application/x-ndjson': {
        schema: { type: 'string' },
        example: `{"fullName":"张伟","nationalId":"${EXAMPLE_ID}","targetGroups":["graduate","veteran"],"expectedMonthlySalaryFen":800000}\n`,
      },
      [XLSX_MEDIA_TYPE]: { schema: { type: 'string', format: 'binary', description: 'An .xlsx workbook: the first worksheet, its first non-empty row the header' } },
    }),
  );
}

export const ROSTER_FILE_DESCRIPTION =
  'A roster file, streamed, up to 200 MiB: CSV (UTF-8 with or without BOM, or GB18030/GBK; the `charset` parameter decides, else a BOM or valid UTF-8 means UTF-8 and anything else GB18030), an .xlsx workbook (the first worksheet; the first non-empty row is the header), or NDJSON with one register body per line. CSV and .xlsx headers name register-body fields (`fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen`) or their Chinese names (姓名; 身份证号/身份证号码/公民身份号码; 手机号/手机号码/联系电话; 重点群体/人员类别; 培训批次/批次; 期望月薪（元） in yuan); an export\'s header is accepted back (its other columns are ignored). Target groups as `graduate;veteran` or 高校毕业生、退役军人.';
