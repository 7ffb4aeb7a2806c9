import { LeadRouterError } from '@lead-router/errors';

export type DestinationCatalogErrorCode =
  'rule_set_version_unknown' | 'destination_unknown' | 'destination_type_mismatch';

/**
 * A routed lead's destination cannot be looked up. An unknown version is retriable: it may not
 * have reached this process yet. A destination its version does not name, or names with another
 * type, is not: the record and the rule set disagree, and trying again changes nothing.
 */
export class DestinationCatalogError extends LeadRouterError {
  declare readonly code: DestinationCatalogErrorCode;

  constructor(
    message: string,
    code: DestinationCatalogErrorCode,
    context: { ruleSet: string; version: string; destination: string },
  ) {
    super(message, code, { retriable: code === 'rule_set_version_unknown', context });
  }
}
