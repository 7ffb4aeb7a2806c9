import { HttpException } from '@nestjs/common';
import type { FieldIssue } from '@lead-router/capture';

/** Every error response has this shape: a code to branch on, a reason to read, the fields. */
export interface ApiErrorBody {
  error: { code: string; message: string; fields?: FieldIssue[] };
}

export class ApiError extends HttpException {
  constructor(
    status: number,
    code: string,
    message: string,
    fields?: FieldIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(
      { error: { code, message, ...(fields ? { fields } : {}) } } satisfies ApiErrorBody,
      status,
    );
  }
}
