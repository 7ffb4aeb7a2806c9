import { withDeadline } from '@lead-router/delivery';
import { type Dispatcher, request } from 'undici';

/**
 * The longest answer body read: a batch's results (200 Salesforce records, 100 HubSpot contacts)
 * fit well inside.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

export interface CrmRequest {
  readonly url: string | URL;
  readonly method: Dispatcher.HttpMethod;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Aborts the request, its answer's body included, when it takes longer. */
  readonly timeoutMs: number;
  /** The caller's signal: its abort ends the request too. */
  readonly signal?: AbortSignal;
  readonly dispatcher?: Dispatcher;
}

export interface CrmAnswer {
  readonly statusCode: number;
  readonly headers: Dispatcher.ResponseData['headers'];
  /** The body as UTF-8 text, cut at `MAX_ANSWER_BYTES`. */
  readonly text: string;
}

/**
 * One request to a CRM and its whole answer. The deadline covers the body too, and ends with the
 * request (see `withDeadline`): no timer outlives it.
 */
export function crmRequest(r: CrmRequest): Promise<CrmAnswer> {
  return withDeadline(
    r.timeoutMs,
    async (deadline) => {
      const answer = await request(r.url, {
        method: r.method,
        headers: r.headers,
        body: r.body,
        signal: deadline,
        ...(r.dispatcher ? { dispatcher: r.dispatcher } : {}),
      });
      return {
        statusCode: answer.statusCode,
        headers: answer.headers,
        text: await readText(answer.body),
      };
    },
    r.signal,
  );
}

/** `Bearer` auth and JSON both ways: what both CRMs' record APIs take. */
export function jsonHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };
}

/** The answer's JSON, or null when it is none (a proxy's HTML page, a cut body). */
export function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

async function readText(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      break;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
