import {
  type CountryCode,
  getCountryCallingCode,
  isSupportedCountry,
  type NumberType,
  parsePhoneNumberFromString,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import { issue, type Cleaned } from './normalize-issue.type';
import { normalizeText } from './text.normalizer';

export interface NormalizedPhone {
  /** E.164 without the extension, e.g. +4930123456. */
  e164: string;
  /** ISO 3166-1 alpha-2 of the number, null for non-geographic numbers. */
  country: string | null;
  /** mobile, fixed_line, fixed_line_or_mobile, toll_free, voip, ...; null when not known. */
  type: string | null;
  extension: string | null;
}

// The letters of a phone keypad (ITU E.161), for vanity numbers such as 1-800-FLOWERS.
const KEYPAD = ['abc', 'def', 'ghi', 'jkl', 'mno', 'pqrs', 'tuv', 'wxyz'];
const EXTENSION = /\s*(?:ext\.?|extension|x|#)\s*\d+$/i;

/**
 * Letters after the first digit as their keypad digits when there are three or more, as
 * libphonenumber (Java) does and libphonenumber-js does not; an extension (`x12`) stays.
 */
function withoutVanityLetters(text: string): string {
  const start = text.search(/[+\d]/);
  const extension = EXTENSION.exec(text)?.[0] ?? '';
  const number = text.slice(Math.max(start, 0), text.length - extension.length);
  if (start < 0 || (number.match(/[a-z]/gi) ?? []).length < 3) return text;
  const digits = number.replace(/[a-z]/gi, (letter) =>
    String(KEYPAD.findIndex((keys) => keys.includes(letter.toLowerCase())) + 2),
  );
  return text.slice(0, start) + digits + extension;
}

interface ValidPhone {
  parsed: PhoneNumber;
  type: NumberType;
}

/**
 * The number when it is valid, with its type. With the `max` metadata `isValid()` is "has a
 * type" (both run the same range matching, the slowest part of a lead's normalization), so the
 * type is asked once and `isValid()` only for a number that has none.
 */
function valid(text: string, country: CountryCode | undefined): ValidPhone | undefined {
  const parsed = parsePhoneNumberFromString(text, country);
  if (parsed === undefined) return undefined;
  const type = parsed.getType();
  return type !== undefined || parsed.isValid() ? { parsed, type } : undefined;
}

/**
 * A partner file's `4915123456789`: the country code without its `+`. National numbers there
 * start with a trunk 0, so digits that start with the lead country's calling code and read as a
 * valid international number are taken as one.
 */
function withoutPlus(text: string, country: CountryCode | undefined): ValidPhone | undefined {
  if (country === undefined || !/^[1-9][\d\s\-./()]{7,}$/.test(text)) return undefined;
  const digits = text.replace(/\D/g, '');
  if (!digits.startsWith(getCountryCallingCode(country))) return undefined;
  return valid(`+${digits}`, undefined);
}

/**
 * Parses a phone number, reading a national number as one of `defaultCountry` (the lead's own
 * country). The `max` metadata validates the number's ranges, not only its length, and tells its
 * type. Without a country, a leading `00` is read as the international prefix.
 */
export function normalizePhone(
  raw: string | null,
  defaultCountry: string | null,
): Cleaned<NormalizedPhone> {
  const typed = normalizeText(raw);
  if (typed === null) return { value: null };
  const text = withoutVanityLetters(typed);
  const country =
    defaultCountry !== null && isSupportedCountry(defaultCountry) ? defaultCountry : undefined;
  const international = country === undefined ? text.replace(/^00(?=[1-9])/, '+') : text;
  const phone = withoutPlus(text, country) ?? valid(international, country);
  if (phone !== undefined) {
    const { parsed, type } = phone;
    return {
      value: {
        e164: parsed.number,
        country: parsed.country ?? null,
        type: type?.toLowerCase() ?? null,
        extension: parsed.ext ?? null,
      },
    };
  }
  const hint = country === undefined && !international.startsWith('+') ? ' (no country code)' : '';
  return { value: null, issue: issue('phone', 'invalid_phone', `not a valid number${hint}`) };
}
