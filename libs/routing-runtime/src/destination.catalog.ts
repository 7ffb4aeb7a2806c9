import type { DestinationOf, RuleSetDestination } from '@lead-router/routing';
import type { DestinationType } from '@lead-router/schemas';
import { DestinationCatalogError } from './destination-catalog.error';
import type { RulesRegistry } from './rules.registry';

/** Which rule-set version routed a lead: the two fields of its `decision` that say so. */
export interface RoutedBy {
  rule_set_id: string;
  rule_set_version: string;
}

/**
 * Every destination's configuration as published in each rule-set version, for the sinks: a
 * lead is delivered with the configuration of the version that routed it, so a newer version
 * (another URL, mapping or budget) applies to the leads it routes and to no lead before them.
 */
export class DestinationCatalog {
  constructor(private readonly registry: Pick<RulesRegistry, 'version'>) {}

  /**
   * The destination `name` of the version that routed the lead, waiting as the registry does
   * for a version this process has not seen yet; given a `type`, also checks it is of that type.
   */
  async destination(routedBy: RoutedBy, name: string): Promise<RuleSetDestination>;
  async destination<T extends DestinationType>(
    routedBy: RoutedBy,
    name: string,
    type: T,
  ): Promise<DestinationOf<T>>;
  async destination(
    routedBy: RoutedBy,
    name: string,
    type?: DestinationType,
  ): Promise<RuleSetDestination> {
    const { rule_set_id: ruleSet, rule_set_version: version } = routedBy;
    const context = { ruleSet, version, destination: name };
    const compiled = await this.registry.version(ruleSet, version);
    if (compiled === null) {
      throw new DestinationCatalogError(
        `rule set ${ruleSet} version ${version} is not known here (not yet read from routing.rules, or refused as invalid); the lead is retried`,
        'rule_set_version_unknown',
        context,
      );
    }
    const destination = compiled.destinations.get(name);
    if (destination === undefined) {
      throw new DestinationCatalogError(
        `rule set ${ruleSet} version ${version} has no destination "${name}"`,
        'destination_unknown',
        context,
      );
    }
    if (type !== undefined && destination.type !== type) {
      throw new DestinationCatalogError(
        `destination "${name}" of rule set ${ruleSet} version ${version} is of type ${destination.type}, not ${type}`,
        'destination_type_mismatch',
        context,
      );
    }
    return destination;
  }
}
