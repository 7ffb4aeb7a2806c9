import { isIP } from 'node:net';
import type { EnrichedLead } from '@lead-router/schemas';
import type { EnrichmentStep, StepResult } from './enrichment.step';
import { GeoIpTable } from './geoip.table';

/** Country (ISO 3166-1 alpha-2) and region (ISO 3166-2) of an IP address; null when unknown. */
export type IpLocator = (ip: string) => { country: string; region: string | null } | null;

/**
 * The locator over geoip-lite's database (MaxMind GeoLite2, shipped inside the package), read
 * into a compact table of countries and regions (geoip.table.ts: a few MB where geoip-lite's own
 * loader keeps ~110 MB). It is loaded on first use, not at import, so only a process that
 * enables the step pays for it.
 */
export async function loadGeoIpLocator(): Promise<IpLocator> {
  const table = GeoIpTable.load();
  return (ip) => {
    const hit = table.lookup(ip);
    if (hit === null || hit.country === '') return null;
    return {
      country: hit.country,
      region: hit.region === '' ? null : `${hit.country}-${hit.region}`,
    };
  };
}

/** The client IP the lead was captured from, when the normalized lead carries one. */
export function clientIpOf(lead: EnrichedLead['lead']): string | null {
  // Present once NormalizedLead carries RawLead.client_ip through; read structurally until then.
  const ip = (lead as { client_ip?: string | null }).client_ip;
  if (ip === undefined || ip === null) return null;
  // An IPv4 client seen on a dual-stack socket (::ffff:192.0.2.1).
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  return isIP(plain) === 0 ? null : plain;
}

/**
 * ip_country and ip_region from the client IP. They sit beside the lead's own country, never
 * over it: a lead typed in Berlin on a US VPN is still the German lead it says it is.
 */
export class IpGeoStep implements EnrichmentStep {
  readonly name = 'ip_geo';

  constructor(private readonly locate: IpLocator) {}

  run({ lead }: EnrichedLead): StepResult {
    const ip = clientIpOf(lead);
    if (ip === null) return { status: 'skipped' };
    const hit = this.locate(ip);
    if (hit === null) return { status: 'no_match' };
    return { status: 'ok', patch: { ip_country: hit.country, ip_region: hit.region } };
  }
}
