import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Cleaned } from './normalize-issue.type';

export interface NormalizedPhone {
  /** E.164, e.g. +4930123456. */
  e164: string;
  /** ISO 3166-1 alpha-2 of the number, null for non-geographic numbers. */
  country: string | null;
}

/**
 * Parses a phone number, reading a national number as one of `defaultCountry` (the lead's own
 * country). The `max` metadata validates the number's ranges, not only its length.
 */
export function normalizePhone(
  raw: string | null,
  defaultCountry: string | null,
): Cleaned<NormalizedPhone> {
  const text = raw?.trim() ?? '';
  if (text === '') return { value: null };
  const country =
    defaultCountry !== null && isSupportedCountry(defaultCountry) ? defaultCountry : undefined;
  const parsed = parsePhoneNumberFromString(text, country);
  if (parsed?.isValid()) {
    return { value: { e164: parsed.number, country: parsed.country ?? null } };
  }
  const hint = country === undefined && !text.startsWith('+') ? ' (no country code)' : '';
  return {
    value: null,
    issue: {
      field: 'phone',
      code: 'invalid_phone',
      message: `phone: not a valid number${hint}`,
    },
  };
}
