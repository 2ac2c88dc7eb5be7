import * as ExcelJS from 'exceljs';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * An .xlsx workbook written by exceljs, as Excel would save it: the rows of the first worksheet (values as given:
 * a number stays a number cell), and optionally a second worksheet the importer must ignore.
 */
export async function xlsxOf(rows: Array<Array<string | number | null>>, options: { leadingBlankRows?: number; secondSheet?: boolean } = {}): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('学员名单');
  for (let i = 0; i < (options.leadingBlankRows ?? 0); i++) sheet.addRow([]);
  for (const row of rows) sheet.addRow(row);
  if (options.secondSheet) workbook.addWorksheet('说明').addRow(['姓名', '身份证号', '这一页不是名单']);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
