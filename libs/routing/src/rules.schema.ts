import { z } from 'zod';
import { destinationSchema } from './destination.schema';
import { DURATION_PATTERN, duration, name } from './schema.primitives';

export { DURATION_PATTERN };
export type { RuleSetDestination } from './destination.schema';

export type Scalar = string | number | boolean | null;

export const OPERATORS = [
  'eq',
  'ne',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'contains',
  'starts_with',
  'ends_with',
  'matches',
  'exists',
  'missing',
] as const;

export type Operator = (typeof OPERATORS)[number];

export interface LeafCondition {
  path: string;
  eq?: Scalar;
  ne?: Scalar;
  in?: Scalar[];
  not_in?: Scalar[];
  gt?: number | string;
  gte?: number | string;
  lt?: number | string;
  lte?: number | string;
  between?: [number | string, number | string];
  contains?: string;
  starts_with?: string;
  ends_with?: string;
  matches?: string;
  exists?: boolean;
  missing?: boolean;
}

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { segment: string }
  | LeafCondition;

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const ordered = z.union([z.number(), z.string()]);

export const leafConditionSchema = z
  .strictObject({
    path: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/, {
      error: 'expected a dotted path such as lead.country or lead.attributes.utm_source',
    }),
    eq: scalar.optional(),
    ne: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    not_in: z.array(scalar).min(1).optional(),
    gt: ordered.optional(),
    gte: ordered.optional(),
    lt: ordered.optional(),
    lte: ordered.optional(),
    between: z.tuple([ordered, ordered]).optional(),
    contains: z.string().optional(),
    starts_with: z.string().optional(),
    ends_with: z.string().optional(),
    matches: z.string().optional(),
    exists: z.boolean().optional(),
    missing: z.boolean().optional(),
  })
  .refine((leaf) => OPERATORS.filter((op) => op in leaf).length === 1, {
    error: `expected exactly one operator: ${OPERATORS.join(', ')}`,
  });

/** Which branch of the condition union an object was meant to be, by its keys. */
export const CONDITION_BRANCHES = ['all', 'any', 'not', 'segment', 'path'] as const;

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
    z.strictObject({ segment: name }),
    leafConditionSchema,
  ]),
);

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const clock = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/, {
  error: 'expected a time of day as HH:MM, e.g. 09:00',
});
const instant = z.iso.datetime({
  offset: true,
  error: 'expected an ISO 8601 date-time with a zone, e.g. 2026-12-24T00:00:00+01:00',
});

export const workingHoursSchema = z
  .strictObject({
    /** An IANA time zone such as Europe/Berlin. */
    timezone: z.string().min(1),
    days: z.array(z.enum(WEEKDAYS)).min(1),
    start: clock,
    end: clock,
  })
  .refine((h) => h.start < h.end, { error: 'end must be later than start', path: ['end'] });

export const memberSchema = z.strictObject({
  id: name,
  /** The member's user id in each destination's system, by destination name. */
  owners: z.record(name, z.string().min(1)),
  weight: z.number().positive().max(1_000_000).default(1),
  capacity: z.strictObject({ max: z.int().min(1).max(10_000), window: duration }).optional(),
  working_hours: workingHoursSchema.optional(),
  out_of_office: z
    .array(
      z
        .strictObject({ start: instant, end: instant })
        .refine((p) => Date.parse(p.start) < Date.parse(p.end), {
          error: 'end must be later than start',
          path: ['end'],
        }),
    )
    .default([]),
  skills: z.array(name).default([]),
});

export const BASE_METHODS = ['round_robin', 'weighted', 'load_balanced'] as const;
export const METHODS = [...BASE_METHODS, 'account_owner'] as const;
export type BaseMethod = (typeof BASE_METHODS)[number];
export type Method = (typeof METHODS)[number];

export const whenUnavailableSchema = z.union([
  z.strictObject({ overflow: name }),
  z.strictObject({
    hold: z.literal(true, {
      error: 'hold can only be true; to send the lead elsewhere use { overflow: <queue> }',
    }),
  }),
]);

export const queueSchema = z.strictObject({
  method: z.enum(METHODS),
  /** account_owner: where the lead carries its account's owner (a member id or owner id). */
  account_owner_path: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/, {
      error: 'expected a dotted path such as lead.attributes.account_owner',
    })
    .default('lead.attributes.account_owner'),
  /** account_owner: how the queue picks when the account owner is absent or unavailable. */
  otherwise: z.enum(BASE_METHODS).default('round_robin'),
  /** load_balanced: the rolling window assignments are counted in. */
  window: duration.default('24h'),
  when_unavailable: whenUnavailableSchema,
  members: z.array(memberSchema).min(1),
});

const target = {
  queue: name.optional(),
  owner: z.string().min(1).optional(),
  destinations: z.array(name).min(1),
};

const oneTarget = (t: { queue?: string | undefined; owner?: string | undefined }) =>
  (t.queue === undefined) !== (t.owner === undefined);
const oneTargetError = { error: 'expected exactly one of queue or owner' };

export const ruleSchema = z
  .strictObject({
    name,
    description: z.string().optional(),
    when: conditionSchema,
    ...target,
    /** Only members with every one of these skills are considered. */
    skills: z.array(name).min(1).optional(),
  })
  .refine(oneTarget, oneTargetError);

export const ruleSetSchema = z.strictObject({
  id: name,
  version: z.string().min(1),
  destinations: z.record(name, destinationSchema),
  queues: z.record(name, queueSchema).default({}),
  segments: z.record(name, conditionSchema).default({}),
  rules: z.array(ruleSchema).default([]),
  fallback: z
    .strictObject({ ...target, skills: z.array(name).min(1).optional() })
    .refine(oneTarget, oneTargetError),
});

export type RuleSet = z.output<typeof ruleSetSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type Queue = z.output<typeof queueSchema>;
export type Member = z.output<typeof memberSchema>;
export type WorkingHours = z.output<typeof workingHoursSchema>;
export type WhenUnavailable = z.output<typeof whenUnavailableSchema>;

/** The rule-set format as JSON Schema, for editors and `leadctl rules validate`. */
export const ruleSetJsonSchema = z.toJSONSchema(ruleSetSchema, { io: 'input' });
