/** The org's API requests over the rolling 24 hours, as Salesforce reports them. */
export interface SforceApiUsage {
  used: number;
  allocation: number;
}

/**
 * `Sforce-Limit-Info: api-usage=<used>/<allocation>` (REST API guide, "Limit Info Header"). The
 * header may carry other entries beside it (`api-bursts=1/750`, `per-app-api-usage=17/250(appName=x)`),
 * which are skipped. Null when the header is absent or has no api-usage.
 */
export function parseSforceLimitInfo(header: string | null | undefined): SforceApiUsage | null {
  for (const part of (header ?? '').split(/[;,]/)) {
    const match = /^\s*api-usage\s*=\s*(\d+)\s*\/\s*(\d+)\s*$/i.exec(part);
    if (match) return { used: Number(match[1]), allocation: Number(match[2]) };
  }
  return null;
}
