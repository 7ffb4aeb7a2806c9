import { createHash } from 'node:crypto';
import { err, type Result } from '@lead-router/errors';
import type { RawLead } from '@lead-router/schemas';
import type { CsvMapping } from './csv-mapping';
import type { FieldIssue } from './field-issue.type';
import { type CaptureContext, captureLead } from './lead.capturer';

/** The mapped row as a lead body: empty cells are left out, so they do not count as given. */
function bodyOf(cells: readonly string[], mapping: CsvMapping): Record<string, string> {
  const body: Record<string, string> = {};
  mapping.columns.forEach((target, i) => {
    const value = cells[i];
    if (target.field !== null && value !== undefined && value.trim() !== '') {
      body[target.field] = value;
    }
  });
  return body;
}

/**
 * The key of a row without a key column: a hash of its mapped content, trimmed, case-folded for
 * the email and sorted by field, so the same lead in a re-sent file (even with its columns in
 * another order or renamed by the mapping) gets the same key, and so the same lead id.
 */
export function contentKey(body: Readonly<Record<string, string>>): string {
  const canonical = Object.keys(body)
    .sort()
    .map((field) => {
      const value = body[field]!.trim();
      return [field, field === 'email' ? value.toLowerCase() : value];
    });
  return `csv:${createHash('sha256').update(JSON.stringify(canonical)).digest('hex')}`;
}

/**
 * One data row of a partner file → a RawLead, validated like a JSON lead. The lead id derives
 * from the source and the row's key (the key column's value, else the content hash), so importing
 * the same file again gives every row the lead id it had the first time.
 */
export function captureCsvRow(
  cells: readonly string[],
  mapping: CsvMapping,
  ctx: Omit<CaptureContext, 'idempotencyKey'>,
): Result<RawLead, FieldIssue[]> {
  if (cells.length !== mapping.columns.length) {
    return err([
      {
        field: 'row',
        code: 'wrong_field_count',
        message: `row: expected ${mapping.columns.length} fields as in the header, got ${cells.length}`,
      },
    ]);
  }
  const body = bodyOf(cells, mapping);
  if (mapping.keyColumn === null) {
    return asRow(captureLead(body, { ...ctx, idempotencyKey: contentKey(body) }));
  }
  const key = cells[mapping.columns.findIndex((c) => c.column === mapping.keyColumn)]?.trim();
  if (key === undefined || key === '') {
    return err([
      {
        field: mapping.keyColumn,
        code: 'missing_key',
        message: `${mapping.keyColumn}: the key column is empty`,
      },
    ]);
  }
  return asRow(captureLead({ ...body, source_lead_id: key }, ctx));
}

/** An issue of the whole lead is one of the row here: a partner file has no request body. */
function asRow(result: Result<RawLead, FieldIssue[]>): Result<RawLead, FieldIssue[]> {
  if (result.ok) return result;
  return err(
    result.error.map((issue) =>
      issue.field === 'body'
        ? { ...issue, field: 'row', message: `row${issue.message.slice('body'.length)}` }
        : issue,
    ),
  );
}
