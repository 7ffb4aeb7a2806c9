import { err, ok, type Result } from '@lead-router/errors';
import type { SourceLeadReference } from '@lead-router/schemas';
import { type FieldMapping, mapAnswers } from './field.mapping';
import type { ReferenceContext } from './meta.adapter';
import { hmacMatches, hmacSha256Hex } from './signature.verifier';

/**
 * LinkedIn Lead Gen Forms (Lead Sync API): LinkedIn validates the webhook with a GET carrying a
 * `challengeCode` (and again every few hours), then POSTs a lead notification signed in
 * `X-LI-Signature`; the answers are read from `leadFormResponses` by the response's id, and the
 * questions' meaning (predefinedField) from `leadForms`.
 */

/** The answer to LinkedIn's validation GET: the code and its HMAC-SHA256 (hex) with the secret. */
export function linkedinChallenge(
  challengeCode: string,
  clientSecret: string,
): { challengeCode: string; challengeResponse: string } {
  return { challengeCode, challengeResponse: hmacSha256Hex(clientSecret, challengeCode) };
}

/**
 * Whether `X-LI-Signature` is the HMAC-SHA256 (hex) of the raw body with the client secret.
 * LinkedIn's page says the hash is of the body "prefixed by `hmacsha256=`", which reads two ways:
 * the header carries a `hmacsha256=` prefix, or the prefix is hashed with the body. Both readings
 * are accepted (each needs the secret), the header with or without the prefix (docs/sources.md).
 */
export function linkedinSignatureValid(
  rawBody: Buffer,
  header: unknown,
  clientSecret: string,
): boolean {
  if (typeof header !== 'string') return false;
  const hex = header.startsWith('hmacsha256=') ? header.slice('hmacsha256='.length) : header;
  return (
    hmacMatches(clientSecret, rawBody, hex) ||
    hmacMatches(clientSecret, Buffer.concat([SIGNATURE_PREFIX, rawBody]), hex)
  );
}

const SIGNATURE_PREFIX = Buffer.from('hmacsha256=');

/** The id at the end of a URN (`urn:li:leadFormResponse:abc` → `abc`), or the value itself. */
export function urnId(value: string): string {
  return value.slice(value.lastIndexOf(':') + 1);
}

function str(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * The lead a notification announces: a `CREATED` lead action names the form response to fetch.
 * Other actions (a `DELETED` lead) announce nothing to fetch and give an empty list.
 */
export function linkedinLeadReferences(
  body: unknown,
  ctx: ReferenceContext,
): Result<SourceLeadReference[], string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return err('expected a LinkedIn lead notification: a JSON object');
  }
  const n = body as Record<string, unknown>;
  const response = str(n['leadGenFormResponse']);
  if (response === null) {
    return err('leadGenFormResponse: expected the URN of the lead form response');
  }
  if (n['leadAction'] !== undefined && n['leadAction'] !== 'CREATED') return ok([]);
  const attributes: Record<string, string> = { lead_form_response: response };
  const form = str(n['leadGenForm']);
  if (form !== null) attributes['lead_form'] = form;
  const leadType = str(n['leadType']);
  if (leadType !== null) attributes['lead_type'] = leadType;
  const owner = n['owner'];
  if (typeof owner === 'object' && owner !== null) {
    for (const [kind, urn] of Object.entries(owner)) {
      if (typeof urn === 'string') attributes[`owner_${kind}`] = urn;
    }
  }
  return ok([
    {
      platform: 'linkedin',
      source: ctx.source,
      platform_lead_id: urnId(response),
      received_at: ctx.now,
      attributes,
    },
  ]);
}

/** A lead form response as `GET /rest/leadFormResponses/{id}` answers it (the parts we read). */
export interface LinkedInFormResponse {
  id: string;
  submittedAt?: number;
  testLead?: boolean;
  leadType?: string;
  versionedLeadGenFormUrn?: string;
  owner?: Record<string, string>;
  leadMetadata?: { sponsoredLeadMetadata?: { campaign?: string } };
  associatedEntity?: Record<string, string>;
  formResponse?: {
    answers?: {
      questionId: number | string;
      answerDetails?: {
        textQuestionAnswer?: { answer?: string };
        multipleChoiceAnswer?: { options?: (number | string)[] };
      };
    }[];
  };
}

/** A question of a lead form (`GET /rest/leadForms/{id}`: content.questions[]). */
export interface LinkedInQuestion {
  questionId: number | string;
  name?: string;
  predefinedField?: string;
}

/**
 * The lead input (for captureLead) of a fetched form response: each answer keyed by its
 * question's predefinedField (FIRST_NAME, EMAIL, …), else its name, else `question_<id>`, then
 * mapped by `mapping`; `testLead` as the attribute `is_test`, `submittedAt` as `submitted_at`.
 */
export function linkedinLeadInput(
  response: LinkedInFormResponse,
  questions: readonly LinkedInQuestion[],
  reference: SourceLeadReference,
  mapping: FieldMapping,
): Record<string, unknown> {
  const byId = new Map(questions.map((q) => [String(q.questionId), q]));
  const answers = (response.formResponse?.answers ?? []).flatMap((a) => {
    const question = byId.get(String(a.questionId));
    const key = question?.predefinedField ?? question?.name ?? `question_${a.questionId}`;
    const details = a.answerDetails ?? {};
    const value =
      details.textQuestionAnswer?.answer ??
      (details.multipleChoiceAnswer?.options ?? []).map(String).join(', ');
    return value === '' ? [] : [{ key, value }];
  });
  const attributes: Record<string, string> = {
    ...reference.attributes,
    is_test: String(response.testLead === true),
  };
  if (typeof response.submittedAt === 'number') {
    attributes['submitted_at'] = new Date(response.submittedAt).toISOString();
  }
  if (response.versionedLeadGenFormUrn) attributes['lead_form'] = response.versionedLeadGenFormUrn;
  if (response.leadType) attributes['lead_type'] = response.leadType;
  const campaign = response.leadMetadata?.sponsoredLeadMetadata?.campaign;
  if (campaign) attributes['campaign'] = campaign;
  const creative = response.associatedEntity?.['associatedCreative'];
  if (creative) attributes['creative'] = creative;
  return {
    ...attributes,
    ...mapAnswers(answers, mapping),
    source_lead_id: reference.platform_lead_id,
  };
}
