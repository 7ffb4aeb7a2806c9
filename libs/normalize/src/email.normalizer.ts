import { z } from 'zod';
import type { Cleaned } from './normalize-issue.type';

// zod's email pattern: no whitespace or quoted local parts, and a dotted domain with a TLD.
const emailSchema = z.email();

/** Trims and lower-cases an email and checks its syntax; unusable input gives null and an issue. */
export function normalizeEmail(raw: string | null): Cleaned<string> {
  const email = raw?.trim().toLowerCase() ?? '';
  if (email === '') return { value: null };
  if (emailSchema.safeParse(email).success) return { value: email };
  return {
    value: null,
    issue: { field: 'email', code: 'invalid_email', message: 'email: not a valid address' },
  };
}
