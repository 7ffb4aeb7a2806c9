import {
  compileRuleSet,
  parseRuleSet,
  simulate,
  type RuleSet,
  type SimulationReport,
} from '@lead-router/routing';
import { readEnrichedWindow } from './enriched-window.reader';
import { readPublishedRuleSets } from './rule-set.publisher';
import { RulesAdminError } from './rules-admin.error';
import type { RulesAdminDeps } from './rules-admin.deps';

export interface SimulationWindow {
  from: Date;
  to?: Date;
}

export interface WindowSimulation {
  report: SimulationReport;
  window: { from: Date; to: Date | null };
  /** Where the baseline came from: the published version or a given rule set. */
  baselineSource: 'published' | 'given';
}

function parseOrThrow(yamlText: string, what: string): RuleSet {
  const parsed = parseRuleSet(yamlText);
  if (!parsed.ok) {
    throw new RulesAdminError(`the ${what} rule set is invalid`, 'invalid', parsed.error);
  }
  return parsed.value;
}

/**
 * What-if over past traffic: routes the window's EnrichedLeads with the candidate and with the
 * baseline (the published version of the same rule-set id unless one is given), each on fresh
 * in-memory queue state. Reads only: nothing is produced and no group's offsets move.
 */
export async function simulateWindow(
  deps: RulesAdminDeps,
  candidateYaml: string,
  window: SimulationWindow,
  baselineYaml?: string,
): Promise<WindowSimulation> {
  const candidate = parseOrThrow(candidateYaml, 'candidate');
  let baseline: RuleSet;
  if (baselineYaml !== undefined) {
    baseline = parseOrThrow(baselineYaml, 'baseline');
  } else {
    const published = (await readPublishedRuleSets(deps)).get(candidate.id);
    if (published === undefined) {
      throw new RulesAdminError(
        `no version of rule set ${candidate.id} is published; publish one or give a baseline file`,
        'no_baseline',
        [],
        { ruleSetId: candidate.id },
      );
    }
    baseline = parseOrThrow(published.yaml, `published ${candidate.id} ${published.version}`);
  }
  const leads = await readEnrichedWindow(deps, window.from, window.to);
  const report = simulate(
    compileRuleSet(candidate),
    compileRuleSet(baseline),
    leads.map((l) => l.lead),
  );
  return {
    report,
    window: { from: window.from, to: window.to ?? null },
    baselineSource: baselineYaml === undefined ? 'published' : 'given',
  };
}
