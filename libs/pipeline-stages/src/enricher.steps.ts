import { readFileSync } from 'node:fs';
import { type AccountIndex, AccountStep } from '@lead-router/accounts';
import { resolveCredential } from '@lead-router/config';
import {
  type EnrichmentStep,
  FirmographicsStep,
  HttpFirmographicsProvider,
  IpGeoStep,
  LeadEnricher,
  MailFlagsStep,
  ScoreStep,
  loadGeoIpLocator,
  parseScoreRules,
} from '@lead-router/enrich';
import type { EnrichSettings } from './enricher.config';

/**
 * The enricher the configuration asks for: mail flags, IP geolocation, firmographics, the
 * account match (over `accounts`, kept from the accounts topic) and the score, in that order
 * (the score sees what the others learned), each one off when not configured. The provider's
 * key is read from the variable the configuration names; a missing key or an invalid score file
 * stops the start with the reason.
 */
export async function buildEnricher(
  settings: EnrichSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
  accounts: AccountIndex | null = null,
): Promise<LeadEnricher> {
  const steps: EnrichmentStep[] = [];
  const off: string[] = [];
  if (settings.mailFlags) steps.push(new MailFlagsStep());
  else off.push('mail_flags');
  if (settings.ipGeo) steps.push(new IpGeoStep(await loadGeoIpLocator()));
  else off.push('ip_geo');
  const firmo = settings.firmographics;
  if (firmo !== null) {
    const apiKey = resolveCredential({ env: firmo.apiKeyEnv }, { env });
    const provider = new HttpFirmographicsProvider({
      baseUrl: firmo.baseUrl,
      apiKey,
      name: firmo.name,
    });
    steps.push(new FirmographicsStep(provider, firmo));
  } else off.push('firmographics');
  if (accounts !== null) steps.push(new AccountStep(accounts));
  else off.push('account');
  if (settings.scoreFile !== null) {
    steps.push(new ScoreStep(parseScoreRules(readFileSync(settings.scoreFile, 'utf8'))));
  } else off.push('score');
  return new LeadEnricher(steps, off);
}
