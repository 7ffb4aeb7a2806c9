import { LeadsTableError } from './leads-table.error';
import { leadsTableTarget, targetKey, type LeadsTableTarget } from './leads-table.target';

/**
 * Which table each postgres destination writes to: its own when the environment names one, the
 * default otherwise. Connection details never come from here (PG_URL holds them).
 */
export interface PostgresDestinations {
  readonly fallback: LeadsTableTarget;
  readonly byDestination: ReadonlyMap<string, LeadsTableTarget>;
}

/**
 * Parses `PG_DESTINATION_TABLES`: `destination=table` or `destination=schema.table`, comma
 * separated (`warehouse=analytics.leads,eu=leads_eu`); a table without a schema is in
 * `defaultSchema`. Every bad entry is reported in one error.
 */
export function postgresDestinations(
  fallback: LeadsTableTarget,
  spec: string,
): PostgresDestinations {
  const byDestination = new Map<string, LeadsTableTarget>();
  const problems: string[] = [];
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const match = /^([^=\s]+)=(?:([^.=\s]+)\.)?([^.=\s]+)$/.exec(entry);
    if (!match) {
      problems.push(`"${entry}" is not destination=table or destination=schema.table`);
      continue;
    }
    const [, destination, schema, table] = match as unknown as [string, string, string?, string?];
    if (byDestination.has(destination)) {
      problems.push(`destination ${destination} is named twice`);
      continue;
    }
    try {
      byDestination.set(destination, leadsTableTarget(schema ?? fallback.schema, table!));
    } catch (err) {
      problems.push(`${destination}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new LeadsTableError(
      `PG_DESTINATION_TABLES: ${problems.join('; ')}`,
      'invalid_destination_tables',
      { context: { problems } },
    );
  }
  return { fallback, byDestination };
}

/** The table a destination's rows go to. */
export function targetFor(destinations: PostgresDestinations, destinationId: string) {
  return destinations.byDestination.get(destinationId) ?? destinations.fallback;
}

/** Every table some destination may write to, once each: what the migrations run on at start. */
export function allTargets(destinations: PostgresDestinations): LeadsTableTarget[] {
  const unique = new Map<string, LeadsTableTarget>();
  for (const t of [destinations.fallback, ...destinations.byDestination.values()]) {
    unique.set(targetKey(t), t);
  }
  return [...unique.values()];
}

/** What a destination of the rule set may say about its table; a key it leaves out is the environment's. */
export interface NamedTable {
  readonly schema?: string | null;
  readonly table?: string | null;
}

/**
 * The table a destination's rows go to: the schema and table its rule-set version names, each
 * one it leaves out taken from the environment's (its PG_DESTINATION_TABLES entry, else
 * PG_SCHEMA / PG_TABLE).
 */
export function tableFor(
  destinations: PostgresDestinations,
  destinationId: string,
  named: NamedTable = {},
): LeadsTableTarget {
  const fromEnv = targetFor(destinations, destinationId);
  if (!named.schema && !named.table) return fromEnv;
  return leadsTableTarget(named.schema || fromEnv.schema, named.table || fromEnv.table);
}

/**
 * Every table the sink may write to at start, once each: the environment's and those of the
 * rule set's postgres destinations.
 */
export function startTargets(
  destinations: PostgresDestinations,
  ruleSet: Iterable<readonly [string, NamedTable & { readonly type: string }]>,
): LeadsTableTarget[] {
  const unique = new Map(allTargets(destinations).map((t) => [targetKey(t), t]));
  for (const [id, destination] of ruleSet) {
    if (destination.type !== 'postgres') continue;
    const target = tableFor(destinations, id, destination);
    unique.set(targetKey(target), target);
  }
  return [...unique.values()];
}
