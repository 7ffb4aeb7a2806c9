import { readFileSync } from 'node:fs';
import {
  diffRuleSets,
  formatDiff,
  formatRuleSetIssues,
  formatSimulation,
  parseRuleSet,
} from '@lead-router/routing';
import type { RuleSet, RuleSetIssue, RuleSetValidationOptions } from '@lead-router/routing';
import {
  RulesAdminError,
  publishRuleSet,
  readPublishedRuleSets,
  simulateWindow,
} from '@lead-router/rules-admin';
import { servedDestinationTypes } from '@lead-router/schemas';
import type { Command } from 'commander';
import { CliFailure, UsageError } from '../cli.errors';
import { write, type CliContext } from '../cli.context';
import { parseTime } from '../time.parser';

const PUBLISHED = 'published:';

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      context: { file },
      cause: err,
    });
  }
}

function invalid(file: string, issues: readonly RuleSetIssue[]): CliFailure {
  write(formatRuleSetIssues(file, issues));
  return new CliFailure(
    `${file} is invalid: ${issues.length} issue${issues.length === 1 ? '' : 's'}`,
    'rule_set_invalid',
    { context: { file } },
  );
}

function parseFile(file: string, options: RuleSetValidationOptions = {}): RuleSet {
  const parsed = parseRuleSet(readText(file), options);
  if (!parsed.ok) throw invalid(file, parsed.error);
  return parsed.value;
}

async function resolveSide(ctx: CliContext, side: string): Promise<RuleSet> {
  if (!side.startsWith(PUBLISHED)) return parseFile(side);
  const id = side.slice(PUBLISHED.length);
  const published = (await readPublishedRuleSets(await ctx.rulesAdmin())).get(id);
  if (published === undefined) {
    throw new CliFailure(`no version of rule set ${id} is published`, 'rule_set_not_published', {
      context: { ruleSetId: id },
    });
  }
  const parsed = parseRuleSet(published.yaml);
  if (!parsed.ok) throw invalid(side, parsed.error);
  return parsed.value;
}

function rethrow(file: string, err: unknown): never {
  if (err instanceof RulesAdminError) {
    if (err.code === 'invalid') throw invalid(file, err.issues);
    throw new CliFailure(err.message, err.code, { context: err.context, cause: err });
  }
  throw err;
}

export function rulesCommand(program: Command, context: (cmd: Command) => CliContext): void {
  const rules = program.command('rules').description('validate, diff, simulate and publish rules');

  rules
    .command('validate')
    .argument('<file>', 'a rule-set YAML file')
    .description('report every problem with its line and column')
    .action((file: string) => {
      // As publish and the router will: a destination no sink serves is refused here already.
      const rs = parseFile(file, { servedDestinationTypes: servedDestinationTypes() });
      write(`ok: ${rs.id} ${rs.version}, ${rs.rules.length} rules`);
    });

  rules
    .command('publish')
    .argument('<file>', 'a rule-set YAML file')
    .option('--by <name>', 'who publishes (recorded on the version)')
    .description('validate, then write the version to routing.rules (versions are immutable)')
    .action(async (file: string, opts: { by?: string }, cmd: Command) => {
      const yamlText = readText(file);
      const ctx = context(cmd);
      const result = await publishRuleSet(
        await ctx.rulesAdmin(),
        yamlText,
        opts.by !== undefined ? { by: opts.by } : {},
      ).catch((err: unknown) => rethrow(file, err));
      const v = result.version;
      write(
        result.published
          ? `published ${v.rule_set_id} ${v.version} to ${ctx.topics.topics.rules} (sha256 ${v.sha256})`
          : `unchanged: ${v.rule_set_id} ${v.version} is already published with this content (sha256 ${v.sha256})`,
      );
    });

  rules
    .command('diff')
    .argument('<a>', `a file, or ${PUBLISHED}<id> for the published version`)
    .argument('<b>', `a file, or ${PUBLISHED}<id>`)
    .description('what changed from a to b')
    .action(async (a: string, b: string, _opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      write(formatDiff(diffRuleSets(await resolveSide(ctx, a), await resolveSide(ctx, b))));
    });

  rules
    .command('simulate')
    .argument('<file>', 'the candidate rule set')
    .requiredOption('--from <time>', 'window start: ISO-8601 or relative (-1h, -30m, -7d)')
    .option('--to <time>', 'window end (default: now)')
    .option('--baseline <file>', 'compare against this file instead of the published version')
    .description('route past leads.enriched traffic with the candidate; nothing is produced')
    .action(
      async (
        file: string,
        opts: { from: string; to?: string; baseline?: string },
        cmd: Command,
      ) => {
        const ctx = context(cmd);
        const from = parseTime(opts.from);
        const to = opts.to !== undefined ? parseTime(opts.to) : undefined;
        if (to !== undefined && to.getTime() <= from.getTime()) {
          throw new UsageError('--to must be after --from');
        }
        const candidate = readText(file);
        const baseline = opts.baseline !== undefined ? readText(opts.baseline) : undefined;
        const sim = await simulateWindow(
          await ctx.rulesAdmin(),
          candidate,
          to !== undefined ? { from, to } : { from },
          baseline,
        ).catch((err: unknown) => rethrow(file, err));
        write(
          `Window ${from.toISOString()} .. ${to?.toISOString() ?? 'now'} on ${ctx.topics.topics.enriched}; baseline: ${sim.baselineSource === 'published' ? 'the published version' : opts.baseline}.`,
        );
        write(formatSimulation(sim.report));
      },
    );
}
