import { createHmac } from 'node:crypto';
import {
  captureLead,
  fetchVerdict,
  type FetchVerdict,
  type LinkedInFormResponse,
  type LinkedInQuestion,
  linkedinLeadInput,
  type MetaGraphLead,
  metaLeadInput,
  urnId,
} from '@lead-router/capture';
import type { RawLead, SourceLeadReference } from '@lead-router/schemas';
import { LRUCache } from 'lru-cache';
import type { FetchSource } from './source-fetcher.config';

/** A fetched and mapped lead, or why not (a verdict that is not ok). */
export type FetchResult = { kind: 'lead'; lead: RawLead } | Exclude<FetchVerdict, { kind: 'ok' }>;

interface Answer {
  verdict: FetchVerdict;
  body: unknown;
}

const GRAPH_FIELDS =
  'id,created_time,field_data,ad_id,adset_id,campaign_id,form_id,platform,is_organic';

/**
 * Reads leads from the platforms' APIs (Meta's Graph API, LinkedIn's leadFormResponses and
 * leadForms) at each source's configured base URL, and maps them with the source's fields.
 * A LinkedIn form's questions are cached by form: they do not change within a form version.
 */
export class PlatformFetcher {
  private readonly forms = new LRUCache<string, LinkedInQuestion[]>({ max: 1000 });

  constructor(private readonly timeoutMs: number) {}

  async fetch(source: FetchSource, reference: SourceLeadReference): Promise<FetchResult> {
    return source.platform === 'meta'
      ? this.fetchMeta(source, reference)
      : this.fetchLinkedIn(source, reference);
  }

  private async fetchMeta(
    source: Extract<FetchSource, { platform: 'meta' }>,
    reference: SourceLeadReference,
  ): Promise<FetchResult> {
    const url = new URL(
      `${source.graph_url.replace(/\/$/, '')}/${source.graph_version}/${encodeURIComponent(reference.platform_lead_id)}`,
    );
    url.searchParams.set('fields', GRAPH_FIELDS);
    url.searchParams.set('access_token', source.accessToken);
    // Meta asks for appsecret_proof when the app requires it; sending it always is allowed.
    url.searchParams.set(
      'appsecret_proof',
      createHmac('sha256', source.appSecret).update(source.accessToken).digest('hex'),
    );
    const answer = await this.get('meta', url, {});
    if (answer.verdict.kind !== 'ok') return answer.verdict;
    const input = metaLeadInput(answer.body as MetaGraphLead, reference, source.fields);
    return this.captured(input, reference);
  }

  private async fetchLinkedIn(
    source: Extract<FetchSource, { platform: 'linkedin' }>,
    reference: SourceLeadReference,
  ): Promise<FetchResult> {
    const base = source.api_url.replace(/\/$/, '');
    const headers = {
      authorization: `Bearer ${source.accessToken}`,
      'linkedin-version': source.api_version,
      'x-restli-protocol-version': '2.0.0',
    };
    const answer = await this.get(
      'linkedin',
      new URL(`${base}/rest/leadFormResponses/${encodeURIComponent(reference.platform_lead_id)}`),
      headers,
    );
    if (answer.verdict.kind !== 'ok') return answer.verdict;
    const response = answer.body as LinkedInFormResponse;
    const formId = formIdOf(response.versionedLeadGenFormUrn ?? reference.attributes['lead_form']);
    let questions: LinkedInQuestion[] = [];
    if (formId !== null) {
      const cached = this.forms.get(`${source.name}:${formId}`);
      if (cached) questions = cached;
      else {
        const form = await this.get(
          'linkedin',
          new URL(`${base}/rest/leadForms/${encodeURIComponent(formId)}`),
          headers,
        );
        if (form.verdict.kind !== 'ok') return form.verdict;
        questions = questionsOf(form.body);
        this.forms.set(`${source.name}:${formId}`, questions);
      }
    }
    return this.captured(
      linkedinLeadInput(response, questions, reference, source.fields),
      reference,
    );
  }

  private captured(input: Record<string, unknown>, reference: SourceLeadReference): FetchResult {
    // received_at is when ingest got the notification: speed-to-lead starts there, not here.
    const lead = captureLead(input, {
      source: reference.source,
      now: reference.received_at,
      channel: 'http',
    });
    if (!lead.ok) {
      return {
        kind: 'dead',
        code: 'invalid_lead',
        reason: lead.error.map((issue) => issue.message).join('; '),
      };
    }
    return { kind: 'lead', lead: lead.value };
  }

  private async get(
    platform: 'meta' | 'linkedin',
    url: URL,
    headers: Record<string, string>,
  ): Promise<Answer> {
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const timedOut = (e as Error).name === 'TimeoutError';
      return {
        verdict: {
          kind: 'retry',
          code: timedOut ? 'timeout' : 'unreachable',
          reason: timedOut ? `no answer within ${this.timeoutMs} ms` : (e as Error).message,
          retryAfterMs: null,
        },
        body: null,
      };
    }
    const text = await response.text().catch(() => '');
    let body: unknown = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = null;
    }
    const verdict = fetchVerdict(
      platform,
      response.status,
      body,
      response.headers.get('retry-after'),
    );
    if (verdict.kind === 'ok' && (typeof body !== 'object' || body === null)) {
      return {
        verdict: {
          kind: 'retry',
          code: 'bad_answer',
          reason: 'a 2xx without a JSON object',
          retryAfterMs: null,
        },
        body,
      };
    }
    return { verdict, body };
  }
}

/** The form id in `urn:li:versionedLeadGenForm:(urn:li:leadGenForm:7788,1)` or `urn:li:leadGenForm:7788`. */
function formIdOf(urn: string | undefined): string | null {
  if (urn === undefined) return null;
  const match = /urn:li:leadGenForm:([^,)]+)/.exec(urn);
  return match?.[1] ?? (urn.includes(':') ? urnId(urn) : null);
}

function questionsOf(form: unknown): LinkedInQuestion[] {
  const content = (form as { content?: { questions?: unknown } } | null)?.content;
  return Array.isArray(content?.questions) ? (content.questions as LinkedInQuestion[]) : [];
}
