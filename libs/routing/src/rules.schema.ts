import { z } from 'zod';

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
const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, {
  error: 'expected a name of letters, digits, "_", "." or "-"',
});

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

export const destinationSchema = z
  .strictObject({
    type: z.enum(['webhook', 'salesforce', 'hubspot', 'postgres']),
    url: z.url({ protocol: /^https?$/ }).optional(),
  })
  .refine((d) => d.type !== 'webhook' || d.url !== undefined, {
    error: 'a webhook destination needs a url',
  });

export const queueSchema = z.strictObject({
  method: z.literal('round_robin'),
  members: z
    .array(
      z.strictObject({
        id: name,
        /** The member's user id in each destination's system, by destination name. */
        owners: z.record(name, z.string().min(1)),
      }),
    )
    .min(1),
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
  })
  .refine(oneTarget, oneTargetError);

export const ruleSetSchema = z.strictObject({
  id: name,
  version: z.string().min(1),
  destinations: z.record(name, destinationSchema),
  queues: z.record(name, queueSchema).default({}),
  segments: z.record(name, conditionSchema).default({}),
  rules: z.array(ruleSchema).default([]),
  fallback: z.strictObject(target).refine(oneTarget, oneTargetError),
});

export type RuleSet = z.output<typeof ruleSetSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type Queue = z.output<typeof queueSchema>;
export type RuleSetDestination = z.output<typeof destinationSchema>;

/** The rule-set format as JSON Schema, for editors and `leadctl rules validate`. */
export const ruleSetJsonSchema = z.toJSONSchema(ruleSetSchema, { io: 'input' });
