import { err, ok, type Result } from '@lead-router/errors';
import type { NormalizedLead, RawLead } from '@lead-router/schemas';
import { getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';
import { ATTRIBUTE_FIELDS } from './attribute.fields';
import { AttributesReader } from './attributes.reader';
import { companyDomainOf } from './company-domain.normalizer';
import { normalizeCompanySize } from './company-size.normalizer';
import { normalizeConsent } from './consent.normalizer';
import { normalizeCountry } from './country.normalizer';
import { normalizeEmail } from './email.normalizer';
import { normalizeIndustry } from './industry.normalizer';
import { normalizeName } from './name.normalizer';
import type { NormalizeIssue } from './normalize-issue.type';
import { normalizePhone } from './phone.normalizer';
import { normalizeSubdivision } from './subdivision.normalizer';
import { normalizeMessage, normalizeText } from './text.normalizer';
import { normalizeSubmittedAt } from './timestamp.normalizer';
import { normalizeUtm } from './utm.normalizer';
import { normalizeWebsite } from './website.normalizer';

function sameCallingCode(a: string, b: string): boolean {
  return (
    isSupportedCountry(a) &&
    isSupportedCountry(b) &&
    getCountryCallingCode(a) === getCountryCallingCode(b)
  );
}

/**
 * Cleans a raw lead. Fields that cannot be cleaned become null and are listed in `issues` (in
 * words) and `quality_flags` (as codes, with what was guessed: country_from_phone, name_split,
 * ...); a lead left with neither an email nor a phone is rejected with every reason.
 */
export function normalize(raw: RawLead, now: number): Result<NormalizedLead, NormalizeIssue[]> {
  const attributes = new AttributesReader(raw.attributes);
  const flags: string[] = [];
  const givenCountry = normalizeCountry(raw.country ?? attributes.first(ATTRIBUTE_FIELDS.country));
  const email = normalizeEmail(raw.email ?? attributes.first(ATTRIBUTE_FIELDS.email));
  const phone = normalizePhone(
    raw.phone ?? attributes.first(ATTRIBUTE_FIELDS.phone),
    givenCountry.value,
  );
  const website = normalizeWebsite(raw.website);

  let country = givenCountry.value;
  const phoneCountry = phone.value?.country ?? null;
  if (country === null && phoneCountry !== null) {
    country = phoneCountry;
    flags.push('country_from_phone');
  } else if (country !== null && phoneCountry !== null && !sameCallingCode(country, phoneCountry)) {
    flags.push('phone_country_mismatch');
  }
  const subdivision = normalizeSubdivision(attributes.first(ATTRIBUTE_FIELDS.subdivision), country);
  if (country === null && subdivision.value !== null) {
    country = subdivision.value.slice(0, 2);
    flags.push('country_from_subdivision');
  }

  const name = normalizeName(
    raw.first_name,
    raw.last_name,
    attributes.first(ATTRIBUTE_FIELDS.fullName),
  );
  if (name.split) flags.push('name_split');
  const domain = companyDomainOf(email.value, website.value);
  if (domain.mismatch) flags.push('company_domain_mismatch');
  const companySize = normalizeCompanySize(attributes.first(ATTRIBUTE_FIELDS.companySize));
  const industry = normalizeIndustry(attributes.first(ATTRIBUTE_FIELDS.industry));
  const consent = normalizeConsent(raw.attributes);
  const submitted = normalizeSubmittedAt(attributes);
  if (submitted.withoutZone) flags.push('timestamp_without_zone');

  const issues = [
    email.issue,
    phone.issue,
    givenCountry.issue,
    website.issue,
    subdivision.issue,
    companySize.issue,
    industry.issue,
    consent.issue,
    submitted.issue,
  ].filter((issue): issue is NormalizeIssue => issue !== undefined);

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
    phone_country: phoneCountry,
    first_name: name.first,
    last_name: name.last,
    company: normalizeText(raw.company),
    website: website.value,
    country,
    job_title: normalizeText(raw.job_title),
    message: normalizeMessage(raw.message),
    attributes: { ...raw.attributes },
    issues: issues.map((issue) => issue.message),
    phone_type: phone.value?.type ?? null,
    phone_extension: phone.value?.extension ?? null,
    subdivision: subdivision.value,
    company_domain: domain.domain,
    company_size: companySize.value,
    industry: industry.value,
    utm: normalizeUtm(attributes),
    consent: consent.consent,
    submitted_at: submitted.submittedAt,
    quality_flags: [...new Set([...issues.map((issue) => issue.code), ...flags])],
    client_ip: raw.client_ip,
  });
}
