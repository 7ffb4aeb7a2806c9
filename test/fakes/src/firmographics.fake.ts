import {
  bearerToken,
  FaultPlan,
  sleep,
  startHttpFake,
  type FakeRequest,
  type FakeResponse,
  type ListenOptions,
  type OutageMode,
  type RequestLogEntry,
} from './fake-server';

/**
 * A company as a Clearbit-style Company API describes it (the subset the enricher reads, in the
 * vendor's field names): `GET /v2/companies/find?domain=<domain>`.
 */
export interface FirmographicsCompany {
  name: string;
  domain: string;
  category: { industry: string | null; sector?: string | null };
  metrics: {
    employees: number | null;
    employeesRange?: string | null;
    annualRevenue: number | null;
    estimatedAnnualRevenue?: string | null;
  };
}

export interface FakeFirmographicsOptions extends ListenOptions {
  /** API keys the provider accepts as `Authorization: Bearer <key>` (default `['sk_fake_key']`). */
  apiKeys?: string[];
  /** The companies it knows, by domain; default the two below. */
  companies?: FirmographicsCompany[];
}

export interface FakeFirmographicsControl {
  /** The next `count` authenticated lookups answer `status` (default 503). */
  failNext(count: number, status?: number): void;
  /** Every answer waits `ms` milliseconds first. */
  slow(ms: number): void;
  /** Down: `reset` cuts every connection, `refused` frees the port. */
  outage(on: boolean, mode?: OutageMode): Promise<void>;
  /** Back to healthy: no failures, no delay, no outage. */
  heal(): Promise<void>;
}

export interface FakeFirmographics {
  url: string;
  /** Lookups that passed authentication, by domain asked, in arrival order. */
  lookups(): string[];
  requests(): RequestLogEntry[];
  control: FakeFirmographicsControl;
  close(): Promise<void>;
}

export const defaultCompanies: readonly FirmographicsCompany[] = [
  {
    name: 'Analytical Engines',
    domain: 'analytical-engines.com',
    category: { industry: 'Software', sector: 'Information Technology' },
    metrics: {
      employees: 1200,
      employeesRange: '1K-5K',
      annualRevenue: 250_000_000,
      estimatedAnnualRevenue: '$100M-$250M',
    },
  },
  {
    name: 'Example Works',
    domain: 'example-works.test',
    category: { industry: 'Manufacturing', sector: 'Industrials' },
    metrics: { employees: 40, employeesRange: '11-50', annualRevenue: null },
  },
];

const findPath = '/v2/companies/find';

function error(status: number, type: string, message: string): FakeResponse {
  return { status, body: { error: { type, message } } };
}

/**
 * A firmographics provider in the style of Clearbit's Company API, for tests and the demo:
 * `GET /v2/companies/find?domain=` with a bearer key answers 200 and the company, 404
 * `unknown_record` for a domain it does not know, 401 without a valid key, 422 without a
 * domain. It can be told to be slow, to fail with a 5xx, or to be down.
 */
export async function startFakeFirmographics(
  options: FakeFirmographicsOptions = {},
): Promise<FakeFirmographics> {
  const keys = new Set(options.apiKeys ?? ['sk_fake_key']);
  const companies = new Map(
    (options.companies ?? defaultCompanies).map((c) => [c.domain.toLowerCase(), c]),
  );
  const faults = new FaultPlan();
  const lookups: string[] = [];

  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const key = bearerToken(request.headers);
    if (key === undefined || !keys.has(key)) {
      return error(401, 'auth_required', 'a valid API key is required as a bearer token');
    }
    if (request.method !== 'GET' || request.path !== findPath) {
      return error(404, 'not_found', `no route ${request.method} ${request.path}`);
    }
    const domain = request.query.get('domain')?.trim().toLowerCase();
    if (domain === undefined || domain === '') {
      return error(422, 'invalid_domain', 'domain is required');
    }
    lookups.push(domain);
    if (faults.delayMs > 0) await sleep(faults.delayMs);
    const failure = faults.nextFailure();
    if (failure !== undefined) return error(failure, 'server_error', 'try again later');
    const company = companies.get(domain);
    if (company === undefined) return error(404, 'unknown_record', `unknown domain ${domain}`);
    return { status: 200, body: company };
  };

  const server = await startHttpFake(handle, options);
  return {
    url: server.url,
    lookups: () => [...lookups],
    requests: () => server.requests(),
    control: {
      failNext: (count, status = 503) => faults.failNext(count, status),
      slow: (ms) => faults.slow(ms),
      outage: (on, mode) => server.setOutage(on, mode),
      async heal() {
        faults.heal();
        await server.setOutage(false);
      },
    },
    close: () => server.close(),
  };
}
