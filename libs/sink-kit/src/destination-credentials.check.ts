import {
  ConfigError,
  type CredentialRef,
  type CredentialSources,
  resolveCredential,
} from '@lead-router/config';
import { CREDENTIAL_KEYS, type RuleSetDestination } from '@lead-router/routing';
import type { DestinationType } from '@lead-router/schemas';

/** Every credential reference a destination holds (a webhook's secret, a Salesforce auth's ids...). */
export function credentialRefsOf(destination: RuleSetDestination): CredentialRef[] {
  const refs: CredentialRef[] = [];
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, inner] of Object.entries(value)) {
      if ((CREDENTIAL_KEYS as readonly string[]).includes(key) && isRef(inner)) refs.push(inner);
      else visit(inner);
    }
  };
  visit(destination);
  return refs;
}

const isRef = (value: unknown): value is CredentialRef =>
  value !== null &&
  typeof value === 'object' &&
  (typeof (value as { env?: unknown }).env === 'string' ||
    typeof (value as { file?: unknown }).file === 'string');

/**
 * Reads every credential the destinations of the sink's types reference, and throws one
 * ConfigError naming each variable or file that cannot be read (by destination), never a value.
 * Run at start outside demo mode, so a sink missing a CRM credential exits instead of failing
 * each lead later.
 */
export function checkDestinationCredentials(
  destinations: ReadonlyMap<string, RuleSetDestination>,
  types: readonly DestinationType[],
  sources: CredentialSources = {},
): void {
  const problems: string[] = [];
  for (const [name, destination] of destinations) {
    if (!types.includes(destination.type)) continue;
    for (const ref of credentialRefsOf(destination)) {
      try {
        resolveCredential(ref, sources);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(...error.problems.map((p) => `${p} (destination ${name})`));
      }
    }
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
}
