import { z } from 'zod';
import { LONE_SURROGATE } from './lead-id.generator';

/** The fields a RawLead carries by name, with the longest value each may have. */
export const KNOWN_FIELD_MAX_LENGTH = {
  email: 320,
  phone: 64,
  first_name: 200,
  last_name: 200,
  company: 300,
  website: 2048,
  country: 100,
  job_title: 300,
  message: 10000,
  source_lead_id: 256,
} as const;

export type KnownField = keyof typeof KNOWN_FIELD_MAX_LENGTH;

export const MAX_ATTRIBUTES = 100;
export const MAX_ATTRIBUTE_KEY_LENGTH = 100;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 2000;

/** Issue codes this lib reports, carried through zod in `params.code`. */
export type CaptureIssueCode =
  | 'invalid_type'
  | 'too_long'
  | 'missing_contact'
  | 'unsupported_type'
  | 'too_many_fields'
  | 'key_too_long'
  | 'invalid_unicode';

function stringOfAtMost(max: number) {
  const message = `expected a string of at most ${max} characters`;
  return z.string({ error: message }).max(max, { error: message }).nullish();
}

/** A phone or a source's own id may arrive as a JSON number; it is kept as its decimal string. */
function stringOrNumberOfAtMost(max: number) {
  const message = `expected a string or number of at most ${max} characters`;
  return z
    .union([z.string(), z.number().transform(String)], { error: message })
    .pipe(z.string().max(max, { error: message }))
    .nullish();
}

/**
 * A source's id becomes the lead id (leadIdFor) and travels on unchanged, so it must be text UTF-8
 * can carry: a lone surrogate is refused rather than replaced (see leadIdFor for why).
 */
function wellFormedIdOfAtMost(max: number) {
  return z
    .union([z.string(), z.number().transform(String)], {
      error: `expected a string or number of at most ${max} characters`,
    })
    .pipe(
      z
        .string()
        .max(max, { error: `expected a string or number of at most ${max} characters` })
        .refine((value) => !LONE_SURROGATE.test(value), {
          error:
            'expected well-formed Unicode; it holds a lone UTF-16 surrogate (half of a character such as an emoji)',
          params: { code: 'invalid_unicode' },
        }),
    )
    .nullish();
}

function present(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

const knownFields = {
  email: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.email),
  phone: stringOrNumberOfAtMost(KNOWN_FIELD_MAX_LENGTH.phone),
  first_name: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.first_name),
  last_name: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.last_name),
  company: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.company),
  website: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.website),
  country: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.country),
  job_title: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.job_title),
  message: stringOfAtMost(KNOWN_FIELD_MAX_LENGTH.message),
  source_lead_id: wellFormedIdOfAtMost(KNOWN_FIELD_MAX_LENGTH.source_lead_id),
};

const knownFieldNames = new Set<string>(Object.keys(knownFields));

/** The known fields of one submitted lead, typed and bounded. */
export const knownFieldsSchema = z.object(knownFields).catchall(z.unknown());

export type KnownFields = z.output<typeof knownFieldsSchema>;

/**
 * The checks across the whole submitted lead: a contact is present, and every other top-level
 * field is a bounded scalar. It is a separate schema because zod skips an object's refinements once
 * a field has failed, and every issue is to be reported at once.
 */
export const leadRulesSchema = z
  .custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null)
  .superRefine((input, ctx) => {
    const phone = input['phone'];
    if (!present(input['email']) && !present(phone) && typeof phone !== 'number') {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'expected an email or a phone, and neither was given',
        params: { code: 'missing_contact' },
      });
    }
    let extra = 0;
    for (const [key, value] of Object.entries(input)) {
      if (knownFieldNames.has(key) || value === null || value === undefined) continue;
      extra += 1;
      if (key.length > MAX_ATTRIBUTE_KEY_LENGTH) {
        ctx.addIssue({
          code: 'custom',
          path: [key.slice(0, 40) + '…'],
          message: `field names must be at most ${MAX_ATTRIBUTE_KEY_LENGTH} characters`,
          params: { code: 'key_too_long' },
        });
        continue;
      }
      if (typeof value === 'object' || typeof value === 'function') {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `expected a string, number or boolean, got ${describeType(value)}`,
          params: { code: 'unsupported_type' },
        });
      } else if (typeof value === 'string' && value.length > MAX_ATTRIBUTE_VALUE_LENGTH) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `expected a value of at most ${MAX_ATTRIBUTE_VALUE_LENGTH} characters`,
          params: { code: 'too_long' },
        });
      }
    }
    if (extra > MAX_ATTRIBUTES) {
      ctx.addIssue({
        code: 'custom',
        path: ['attributes'],
        message: `expected at most ${MAX_ATTRIBUTES} extra fields, got ${extra}`,
        params: { code: 'too_many_fields' },
      });
    }
  });
