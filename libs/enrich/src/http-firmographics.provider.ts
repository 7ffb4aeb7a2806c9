import type { Firmographics } from '@lead-router/schemas';
import {
  type FirmographicsProvider,
  FirmographicsUnavailableError,
  employeeBandOf,
} from './firmographics.provider';

export interface HttpFirmographicsOptions {
  /** The provider's base URL, without the path: `https://company.clearbit.com`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  name?: string;
  fetch?: typeof fetch;
}

/** The part of a Clearbit-style company answer this provider reads. */
interface CompanyAnswer {
  name?: string | null;
  category?: { industry?: string | null } | null;
  metrics?: { employees?: number | null; annualRevenue?: number | null } | null;
}

/**
 * A Clearbit-style company API: `GET {baseUrl}/v2/companies/find?domain=<domain>` with a bearer
 * key answers 200 with the company, 404 when the domain is unknown and 202 while the provider is
 * still looking it up (both read as "not known"). Anything else is a failure.
 */
export class HttpFirmographicsProvider implements FirmographicsProvider {
  readonly name: string;
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpFirmographicsOptions) {
    this.name = options.name ?? 'http';
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async lookup(domain: string, signal: AbortSignal): Promise<Firmographics | null> {
    const url = `${this.base}/v2/companies/find?domain=${encodeURIComponent(domain)}`;
    let res: Response;
    try {
      res = await this.fetch(url, {
        headers: { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' },
        signal,
      });
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw new FirmographicsUnavailableError(`${this.name}: ${(cause as Error).message}`);
    }
    if (res.status === 404 || res.status === 202) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FirmographicsUnavailableError(`${this.name} answered ${res.status}`, res.status);
    }
    const body = (await res.json()) as CompanyAnswer;
    const employees = integerOrNull(body.metrics?.employees);
    return {
      provider: this.name,
      company_name: stringOrNull(body.name),
      employees,
      company_size: employees === null ? null : employeeBandOf(employees),
      industry: stringOrNull(body.category?.industry),
      annual_revenue: integerOrNull(body.metrics?.annualRevenue),
    };
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function integerOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.min(Math.round(value), Number.MAX_SAFE_INTEGER)
    : null;
}
