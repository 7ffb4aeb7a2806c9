import { type Condition, conditionSchema } from '@lead-router/routing';
import { parse } from 'yaml';
import { z } from 'zod';

/** One scoring condition: `points` (may be negative) when the lead meets `when`. */
export interface ScoreRule {
  name: string;
  points: number;
  when: Condition;
}

const scoreRulesSchema = z.strictObject({
  rules: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, _ . -'),
        points: z.number().int().min(-1000).max(1000),
        when: conditionSchema,
      }),
    )
    .default([]),
});

/** A score file could not be read as score rules; `issues` lists every problem at once. */
export class ScoreRulesError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid score rules:\n  ${issues.join('\n  ')}`);
    this.name = 'ScoreRulesError';
  }
}

/**
 * Score rules from YAML (`rules: [{ name, points, when }]`), `when` in the routing rules'
 * condition language (docs/routing.md). Names must be unique: they are what the lead records.
 */
export function parseScoreRules(yamlText: string): ScoreRule[] {
  let data: unknown;
  try {
    data = parse(yamlText) ?? {};
  } catch (cause) {
    throw new ScoreRulesError([`not YAML: ${(cause as Error).message}`]);
  }
  const parsed = scoreRulesSchema.safeParse(data);
  if (!parsed.success) {
    throw new ScoreRulesError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const seen = new Set<string>();
  const duplicates = parsed.data.rules.filter((r) => seen.size === seen.add(r.name).size);
  if (duplicates.length > 0) {
    throw new ScoreRulesError(duplicates.map((r) => `rules: "${r.name}" is named twice`));
  }
  return parsed.data.rules;
}
