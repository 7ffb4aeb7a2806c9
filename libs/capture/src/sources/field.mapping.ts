import { KNOWN_FIELD_MAX_LENGTH, MAX_ATTRIBUTE_KEY_LENGTH } from '../lead-input.schema';

/**
 * A platform's question or column key (`full_name`, `PHONE_NUMBER`, `What is your budget?`) to
 * the lead field it fills: one of RawLead's fields (email, phone, company, …) or any other name,
 * which becomes an attribute (the normalizer reads several, e.g. full_name, company_size, state).
 * Keys are matched case-insensitively.
 */
export type FieldMapping = Readonly<Record<string, string>>;

/** One answer as a platform sends it: the question's key and its value(s). */
export interface PlatformAnswer {
  key: string;
  value: string;
}

const knownFields = new Set<string>(Object.keys(KNOWN_FIELD_MAX_LENGTH));

/** `defaults` with `overrides` on top, keys folded to lower case. */
export function mergeMappings(defaults: FieldMapping, overrides: FieldMapping = {}): FieldMapping {
  const merged = new Map<string, string>();
  for (const [key, field] of Object.entries(defaults)) merged.set(key.toLowerCase(), field);
  for (const [key, field] of Object.entries(overrides)) merged.set(key.toLowerCase(), field);
  return Object.fromEntries(merged);
}

/**
 * The lead input the answers make: a mapped answer goes to its field, an unmapped one stays an
 * attribute under its own key (cut to the attribute key limit). The first answer for a field
 * wins; a later one for the same field is kept as an attribute under its own key.
 */
export function mapAnswers(
  answers: readonly PlatformAnswer[],
  mapping: FieldMapping,
): Record<string, string> {
  const input = new Map<string, string>();
  for (const { key, value } of answers) {
    if (value === '') continue;
    const field = Object.hasOwn(mapping, key.toLowerCase())
      ? mapping[key.toLowerCase()]
      : undefined;
    if (field !== undefined && !input.has(field)) {
      input.set(field, value);
      continue;
    }
    const own = key.slice(0, MAX_ATTRIBUTE_KEY_LENGTH);
    if (!knownFields.has(own) && !input.has(own)) input.set(own, value);
  }
  // fromEntries defines own properties, so a `__proto__` key stays an ordinary field.
  return Object.fromEntries(input);
}
