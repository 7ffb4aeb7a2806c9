import { ConditionCompiler, type LeadScope, type Predicate } from '@lead-router/routing';
import type { EnrichedLead, ScorePoint } from '@lead-router/schemas';
import type { EnrichmentStep, StepResult } from './enrichment.step';
import type { ScoreRule } from './score.rules';

/**
 * The lead score: the sum of the points of every rule the lead meets, and which ones. Conditions
 * are compiled once by the router's compiler, so they read the lead exactly as routing rules do
 * (`lead.country`, `enrichment.firmographics.company_size`, ...) and see every earlier step.
 */
export class ScoreStep implements EnrichmentStep {
  readonly name = 'score';
  private readonly rules: { name: string; points: number; predicate: Predicate }[];
  // Steps run synchronously, one lead at a time, so one scope is reset per lead.
  private readonly scope: LeadScope;

  constructor(rules: readonly ScoreRule[]) {
    const compiler = new ConditionCompiler();
    this.rules = rules.map((r) => ({
      name: r.name,
      points: r.points,
      predicate: compiler.compile(r.when),
    }));
    this.scope = compiler.scope();
  }

  run(lead: EnrichedLead): StepResult {
    const scope = this.scope.reset(lead);
    let score = 0;
    const points: ScorePoint[] = [];
    for (const rule of this.rules) {
      if (!rule.predicate.evaluate(scope).result) continue;
      score += rule.points;
      points.push({ condition: rule.name, points: rule.points });
    }
    return { status: 'ok', patch: { score, score_points: points } };
  }
}
