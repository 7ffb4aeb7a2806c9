import { err, ok, type Result } from '@lead-router/errors';
import type { NormalizedLead, RawLead } from '@lead-router/schemas';
import { normalizeCountry } from './country.normalizer';
import { normalizeEmail } from './email.normalizer';
import type { NormalizeIssue } from './normalize-issue.type';
import { normalizePhone } from './phone.normalizer';
import { normalizeMessage, normalizeText } from './text.normalizer';
import { normalizeWebsite } from './website.normalizer';

/**
 * Cleans a raw lead's contact fields. Fields that cannot be cleaned become null and are listed
 * in `issues`; a lead left with neither an email nor a phone is rejected with every reason.
 */
export function normalize(raw: RawLead, now: number): Result<NormalizedLead, NormalizeIssue[]> {
  const country = normalizeCountry(raw.country);
  const email = normalizeEmail(raw.email);
  const phone = normalizePhone(raw.phone, country.value);
  const website = normalizeWebsite(raw.website);
  const issues = [email.issue, phone.issue, country.issue, website.issue].filter(
    (issue): issue is NormalizeIssue => issue !== undefined,
  );

  if (email.value === null && phone.value === null) {
    return err([
      {
        field: 'email,phone',
        code: 'no_contact',
        message: 'neither a usable email nor a usable phone',
      },
      ...issues,
    ]);
  }

  return ok({
    lead_id: raw.lead_id,
    source: raw.source,
    source_lead_id: raw.source_lead_id,
    channel: raw.channel,
    received_at: raw.received_at,
    normalized_at: now,
    email: email.value,
    phone: phone.value?.e164 ?? null,
    phone_country: phone.value?.country ?? null,
    first_name: normalizeText(raw.first_name),
    last_name: normalizeText(raw.last_name),
    company: normalizeText(raw.company),
    website: website.value,
    country: country.value,
    job_title: normalizeText(raw.job_title),
    message: normalizeMessage(raw.message),
    attributes: { ...raw.attributes },
    issues: issues.map((issue) => issue.message),
  });
}
