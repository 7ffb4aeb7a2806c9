import type { FieldIssue } from '@lead-router/capture';
import { LeadRouterError } from '@lead-router/errors';

/** Every error response has this shape: a code to branch on, a reason to read, the fields. */
export interface ApiErrorBody {
  error: { code: string; message: string; fields?: FieldIssue[] };
}

/**
 * A refusal of an HTTP request, answered by HttpExceptionFilter with `status`, `headers` and
 * `body`. A 5xx is retriable: the same request may pass later (the 503 says when).
 */
export class ApiError extends LeadRouterError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly fields?: FieldIssue[],
    readonly headers: Record<string, string> = {},
    cause?: unknown,
  ) {
    super(message, code, { retriable: status >= 500, context: { status }, cause });
  }

  get body(): ApiErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.fields ? { fields: this.fields } : {}),
      },
    };
  }
}
