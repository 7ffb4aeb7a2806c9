import type { Logger } from '@lead-router/observability';
import { compileRuleSet, parseRuleSet, type CompiledRuleSet } from '@lead-router/routing';
import type { DestinationType, RuleSetVersion } from '@lead-router/schemas';

const key = (id: string, version: string) => `${id}@${version}`;

export interface RulesRegistryOptions {
  logger: Logger;
  /** The destination types the sinks serve; a published version routing elsewhere is refused. */
  servedDestinationTypes: readonly DestinationType[];
  /** How long `version()` waits for a version another instance saw first. */
  versionTimeoutMs?: number;
}

/**
 * Every rule-set version this router knows: the file it started with, then every version
 * published to routing.rules (fed in by `RulesTopicFollower`). The newest version of the active
 * rule set routes new leads; older versions stay known, so a lead matched under one is assigned
 * under the same.
 */
export class RulesRegistry {
  private readonly versions = new Map<string, CompiledRuleSet>();
  private active: CompiledRuleSet;
  private readonly waiters = new Set<() => void>();
  private readonly versionTimeoutMs: number;

  constructor(
    initial: CompiledRuleSet,
    private readonly options: RulesRegistryOptions,
  ) {
    this.active = initial;
    this.versions.set(key(initial.id, initial.version), initial);
    this.versionTimeoutMs = options.versionTimeoutMs ?? 30_000;
  }

  get current(): CompiledRuleSet {
    return this.active;
  }

  /** The compiled version, waiting a while for it to arrive when another instance saw it first. */
  async version(
    id: string,
    version: string,
    timeoutMs = this.versionTimeoutMs,
  ): Promise<CompiledRuleSet | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.versions.get(key(id, version));
      if (found || Date.now() >= deadline) return found ?? null;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        setTimeout(wake, Math.min(500, Math.max(0, deadline - Date.now())));
      });
    }
  }

  /**
   * Learns a published version; a newer version of the active rule set becomes active. An
   * invalid one (a destination type no sink serves included) is logged and ignored, and routing
   * goes on by the version before: leadctl validates before publishing, and a record written
   * around it, or before a sink was withdrawn, must not stop routing.
   */
  accept(published: RuleSetVersion): void {
    const { logger, servedDestinationTypes } = this.options;
    const parsed = parseRuleSet(published.yaml, { servedDestinationTypes });
    if (!parsed.ok) {
      logger.error(
        {
          ruleSet: published.rule_set_id,
          version: published.version,
          routingBy: this.active.version,
          issues: parsed.error,
        },
        'published rule set is invalid, ignored; the active version keeps routing',
      );
      return;
    }
    const compiled = compileRuleSet(parsed.value);
    this.versions.set(key(compiled.id, compiled.version), compiled);
    if (compiled.id === this.active.id && compiled.version !== this.active.version) {
      logger.info(
        { ruleSet: compiled.id, from: this.active.version, to: compiled.version },
        'routing with a newly published rule-set version',
      );
      this.active = compiled;
    }
    for (const wake of [...this.waiters]) wake();
  }
}
