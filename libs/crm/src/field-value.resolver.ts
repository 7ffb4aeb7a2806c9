import type { RoutedLead } from '@lead-router/schemas';
import type { FieldSource } from './field-mapping.schema';
import { readPath } from './lead-paths';

export type FieldValue = string | number | boolean;

/** The scalar at a mapping path (`lead.email`, `lead.attributes.utm_source`, …); null when absent. */
export function valueAtPath(routed: RoutedLead, path: string): FieldValue | null {
  const value = readPath(routed, path);
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? value
    : null;
}

/**
 * The CRM fields of one lead under a mapping. A field whose value is missing, null or empty is
 * left out rather than sent empty, so a lead that lacks a value never clears one the CRM holds.
 */
export function mappedFields(
  routed: RoutedLead,
  fields: Readonly<Record<string, FieldSource>>,
): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const [name, source] of Object.entries(fields)) {
    const value = resolve(routed, source);
    if (value !== null) out[name] = value;
  }
  return out;
}

function resolve(routed: RoutedLead, source: FieldSource): FieldValue | null {
  if (typeof source === 'string') return present(valueAtPath(routed, source));
  if ('value' in source) return source.value;
  const value = present(valueAtPath(routed, source.path)) ?? source.default ?? null;
  return typeof value === 'string' && source.max_length !== undefined
    ? cut(value, source.max_length)
    : value;
}

function present(value: FieldValue | null): FieldValue | null {
  return typeof value === 'string' && value.trim() === '' ? null : value;
}

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}
