import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  bearerToken,
  FaultPlan,
  sleep,
  startHttpFake,
  ViolationLog,
  type FakeRequest,
  type FakeResponse,
  type ListenOptions,
  type OutageMode,
  type RequestLogEntry,
  type Violation,
} from './fake-server';

/** Trouble both fakes can be told to make, as the other fakes can. */
export interface AdPlatformFakeControl {
  /** The next `count` authenticated reads answer the platform's server error (`status`, 500). */
  failNext(count: number, status?: number): void;
  /** Every answer waits `ms` milliseconds first. */
  slow(ms: number): void;
  /** For `ms` milliseconds every read answers the platform's rate-limit refusal. */
  throttle(ms: number): void;
  /** Down: `reset` cuts every connection, `refused` frees the port. */
  outage(on: boolean, mode?: OutageMode): Promise<void>;
  heal(): Promise<void>;
}

export interface AdPlatformFake {
  url: string;
  /** The ids of the leads read successfully (200), in order. */
  served(): string[];
  requests(): RequestLogEntry[];
  violations(): Violation[];
  control: AdPlatformFakeControl;
  close(): Promise<void>;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function controlOf(
  faults: FaultPlan,
  server: { setOutage(on: boolean, mode?: OutageMode): Promise<void> },
): AdPlatformFakeControl {
  return {
    failNext: (count, status = 500) => faults.failNext(count, status),
    slow: (ms) => faults.slow(ms),
    throttle: (ms) => faults.throttle(ms),
    outage: (on, mode) => server.setOutage(on, mode),
    async heal() {
      faults.heal();
      await server.setOutage(false);
    },
  };
}

export interface FakeMetaGraphOptions extends ListenOptions {
  /** The Page access token it accepts (`?access_token=`). */
  accessToken: string;
  /** With it, `appsecret_proof` (HMAC-SHA256 of the token with the app secret) is required. */
  appSecret?: string;
  /** Leads by leadgen id, as `GET /<version>/<id>` answers them. */
  leads?: readonly { id: string }[];
  /** Reads per minute before Meta's app-level limit (error code 4); default 200. */
  callsPerMinute?: number;
}

export interface FakeMetaGraph extends AdPlatformFake {
  /** A lead the Graph API now knows (a form was submitted). */
  addLead(lead: { id: string }): void;
}

function graphError(status: number, code: number, message: string, type = 'OAuthException') {
  return {
    status,
    body: { error: { message, type, code, fbtrace_id: 'AfakeTraceId' } },
  } satisfies FakeResponse;
}

/**
 * Meta's Graph API for Lead Ads retrieval: `GET /v<major>.<minor>/<leadgen_id>` with an access
 * token (and appsecret_proof when the app requires it) answers the lead with its field_data.
 * Errors are Graph's: HTTP 400 with `error.code` 190 for a bad token, 100 for an unknown
 * object, 4 when the app's call limit is spent, and 500 with code 2 (transient) on failure.
 */
export async function startFakeMetaGraph(options: FakeMetaGraphOptions): Promise<FakeMetaGraph> {
  const leads = new Map((options.leads ?? []).map((lead) => [lead.id, lead]));
  const faults = new FaultPlan();
  const violations = new ViolationLog();
  const served: string[] = [];
  const limit = options.callsPerMinute ?? 200;
  let window = { start: 0, calls: 0 };

  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const match = /^\/(v\d+\.\d+)\/([^/]+)$/.exec(request.path);
    if (request.method !== 'GET' || match === null) {
      return graphError(400, 2500, `Unknown path components: ${request.path}`);
    }
    const token = request.query.get('access_token') ?? bearerToken(request.headers);
    if (token === undefined || token === null || !same(token, options.accessToken)) {
      return graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
    }
    if (options.appSecret !== undefined) {
      const proof = createHmac('sha256', options.appSecret).update(token).digest('hex');
      if (!same(request.query.get('appsecret_proof') ?? '', proof)) {
        return graphError(400, 100, 'Invalid appsecret_proof provided in the API argument');
      }
    }
    const now = Date.now();
    if (now - window.start >= 60_000) window = { start: now, calls: 0 };
    window.calls += 1;
    if (faults.throttled()) {
      return graphError(400, 4, 'Application request limit reached');
    }
    if (window.calls > limit) {
      violations.add(request, 'rate-limit-app', `more than ${limit} calls in a minute`);
      return graphError(400, 4, 'Application request limit reached');
    }
    if (faults.delayMs > 0) await sleep(faults.delayMs);
    const failure = faults.nextFailure();
    if (failure !== undefined) {
      return {
        status: failure,
        body: {
          error: {
            message: 'An unexpected error has occurred. Please retry your request later.',
            type: 'OAuthException',
            is_transient: true,
            code: 2,
          },
        },
      };
    }
    const id = decodeURIComponent(match[2]!);
    const lead = leads.get(id);
    if (lead === undefined) {
      return graphError(
        400,
        100,
        `Unsupported get request. Object with ID '${id}' does not exist`,
        'GraphMethodException',
      );
    }
    served.push(id);
    return { status: 200, body: lead };
  };

  const server = await startHttpFake(handle, options);
  return {
    url: server.url,
    addLead: (lead) => leads.set(lead.id, lead),
    served: () => [...served],
    requests: () => server.requests(),
    violations: () => violations.list(),
    control: controlOf(faults, server),
    close: () => server.close(),
  };
}

export interface FakeLinkedInOptions extends ListenOptions {
  /** The OAuth token it accepts as `Authorization: Bearer`. */
  accessToken: string;
  /** Lead form responses by id, as `GET /rest/leadFormResponses/<id>` answers them. */
  responses?: readonly { id: string }[];
  /** Lead forms by id, as `GET /rest/leadForms/<id>` answers them. */
  forms?: readonly { id: number | string }[];
}

export interface FakeLinkedIn extends AdPlatformFake {
  addResponse(response: { id: string }): void;
}

function restliError(status: number, code: string, message: string): FakeResponse {
  return { status, body: { status, code, message } };
}

/**
 * LinkedIn's versioned Marketing API for Lead Sync: `GET /rest/leadFormResponses/<id>` and
 * `GET /rest/leadForms/<id>` with a bearer token, a `LinkedIn-Version: YYYYMM` header and
 * `X-Restli-Protocol-Version: 2.0.0`; 401 for a bad token, 404 for an unknown id, 429 when
 * throttled, 500 on failure.
 */
export async function startFakeLinkedIn(options: FakeLinkedInOptions): Promise<FakeLinkedIn> {
  const responses = new Map((options.responses ?? []).map((r) => [r.id, r]));
  const forms = new Map((options.forms ?? []).map((f) => [String(f.id), f]));
  const faults = new FaultPlan();
  const violations = new ViolationLog();
  const served: string[] = [];

  const handle = async (request: FakeRequest): Promise<FakeResponse> => {
    const token = bearerToken(request.headers);
    if (token === undefined || !same(token, options.accessToken)) {
      return restliError(401, 'INVALID_ACCESS_TOKEN', 'Invalid access token');
    }
    const version = request.headers['linkedin-version'];
    if (typeof version !== 'string' || !/^\d{6}(\.\d{2})?$/.test(version)) {
      violations.add(request, 'version-missing', 'no LinkedIn-Version: YYYYMM header');
      return restliError(
        400,
        'VERSION_MISSING',
        'A version must be present. Please specify a version by adding the LinkedIn-Version header.',
      );
    }
    if (request.headers['x-restli-protocol-version'] !== '2.0.0') {
      violations.add(request, 'restli-protocol', 'no X-Restli-Protocol-Version: 2.0.0 header');
    }
    const match = /^\/rest\/(leadFormResponses|leadForms)\/([^/]+)$/.exec(request.path);
    if (request.method !== 'GET' || match === null) {
      return restliError(404, 'NOT_FOUND', `No resource for ${request.method} ${request.path}`);
    }
    if (faults.throttled()) {
      return restliError(429, 'TOO_MANY_REQUESTS', 'Resource level throttle limit reached');
    }
    if (faults.delayMs > 0) await sleep(faults.delayMs);
    const failure = faults.nextFailure();
    if (failure !== undefined)
      return restliError(failure, 'INTERNAL_SERVER_ERROR', 'Internal Server Error');
    const id = decodeURIComponent(match[2]!);
    const found = match[1] === 'leadForms' ? forms.get(id) : responses.get(id);
    if (found === undefined) return restliError(404, 'NOT_FOUND', `Not found: ${id}`);
    if (match[1] === 'leadFormResponses') served.push(id);
    return { status: 200, body: found };
  };

  const server = await startHttpFake(handle, options);
  return {
    url: server.url,
    addResponse: (response) => responses.set(response.id, response),
    served: () => [...served],
    requests: () => server.requests(),
    violations: () => violations.list(),
    control: controlOf(faults, server),
    close: () => server.close(),
  };
}
