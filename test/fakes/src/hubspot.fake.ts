import { randomUUID } from 'node:crypto';
import {
  bearerToken,
  correlationId,
  FaultPlan,
  isPlainObject,
  parseJson,
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

export interface FakeHubSpotOptions extends ListenOptions {
  /** Private-app tokens the account accepts (default `['pat-fake-token']`). */
  tokens?: string[];
  /** Requests per rolling window per token: 100 (Free, Starter) or 190 (Professional, Enterprise). */
  tenSecondlyLimit?: number;
  /** The rolling window (default 10,000 ms). */
  intervalMs?: number;
  /** Requests per day for the account (default 250,000, Free and Starter). */
  dailyLimit?: number;
  /** Properties with unique values that `idProperty` may name (default `['email']`). */
  uniqueProperties?: string[];
  /** Every contact property the account knows; default the list below. */
  properties?: string[];
  /** Owner ids `hubspot_owner_id` may take; any value when not set. */
  ownerIds?: string[];
  /**
   * The account's clock (default `Date.now`): the limits' windows and days, and the contacts'
   * timestamps. A spec that spends a limit passes a fixed one, so a day that ends between two of
   * its requests does not give the quota back.
   */
  now?: () => number;
}

export interface HubSpotContact {
  id: string;
  hubspot_owner_id: string | undefined;
  properties: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** Successful upserts of this contact, the creation included. */
  writes: number;
}

export interface HubSpotInputError {
  /** e.g. `VALIDATION_ERROR`, `CONFLICT`. */
  category: string;
  message?: string;
  /** How many upserts of this id fail before it succeeds (default: all of them). */
  times?: number;
}

export interface FakeHubSpotControl {
  /** The next `count` authenticated requests answer `status` (default 503). */
  failNext(count: number, status?: number): void;
  /** Each authenticated request answers `status` with probability `fraction`, seeded. */
  failRandomly(fraction: number, options?: { seed?: number; status?: number }): void;
  slow(ms: number): void;
  /**
   * A 429 burst: for `ms` milliseconds every authenticated request answers 429 with
   * `policyName` TEN_SECONDLY_ROLLING and no window left in the headers, as when another client
   * of the same private app has spent the ten-second window. Not counted as violations.
   */
  throttle(ms: number): void;
  /** Per-input errors for chosen `id` values (the id property's value). */
  failInputs(errors: Record<string, HubSpotInputError>): void;
  outage(on: boolean, mode?: OutageMode): Promise<void>;
  /** Forget every request counted against the ten-second window and the day. */
  resetLimits(): void;
  setLimits(limits: { tenSecondly?: number; daily?: number; intervalMs?: number }): void;
  heal(): void;
}

/** What the fake holds, keyed by the value of the first unique property (email by default). */
export type HubSpotContacts = Record<string, HubSpotContact>;

export interface FakeHubSpot {
  url: string;
  close(): Promise<void>;
  records(): HubSpotContacts;
  violations(): Violation[];
  requests(): RequestLogEntry[];
  control: FakeHubSpotControl;
}

export const defaultContactProperties: readonly string[] = [
  'email',
  'firstname',
  'lastname',
  'phone',
  'mobilephone',
  'company',
  'jobtitle',
  'website',
  'country',
  'city',
  'lifecyclestage',
  'hs_lead_status',
  'hubspot_owner_id',
  'lead_id',
  'lead_source',
  'routing_queue',
  'rule_set_version',
];

const maxInputs = 100;
const emailPattern = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const upsertPaths = [
  '/crm/v3/objects/contacts/batch/upsert',
  '/crm/objects/2026-03/contacts/batch/upsert',
];
const dayMs = 24 * 60 * 60 * 1000;

interface StoredContact {
  id: string;
  properties: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  writes: number;
}

interface InputFailure {
  status: 'error';
  category: string;
  message: string;
  context: Record<string, string[]>;
  errors: { message: string; code: string }[];
}

function hubspotError(
  status: number,
  category: string,
  message: string,
  extra: object = {},
): FakeResponse {
  return {
    status,
    body: { status: 'error', message, correlationId: correlationId(), category, ...extra },
  };
}

/**
 * A fake HubSpot account with private-app tokens: the contacts batch upsert, the per-token
 * ten-second window and the daily limit, with HubSpot's rate-limit headers on every answer and
 * every broken contract point counted. See README.md for the sources of each rule.
 */
export async function startFakeHubSpot(options: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  const tokens = new Set(options.tokens ?? ['pat-fake-token']);
  const uniqueProperties = options.uniqueProperties ?? ['email'];
  const known = new Set([...(options.properties ?? defaultContactProperties), ...uniqueProperties]);
  const ownerIds = options.ownerIds ? new Set(options.ownerIds) : undefined;
  const violations = new ViolationLog();
  const faults = new FaultPlan();
  const contacts = new Map<string, StoredContact>();
  const byUnique = new Map<string, Map<string, string>>(
    uniqueProperties.map((name) => [name, new Map()]),
  );
  const windows = new Map<string, number[]>();
  let tenSecondly = options.tenSecondlyLimit ?? 100;
  let intervalMs = options.intervalMs ?? 10_000;
  let daily = options.dailyLimit ?? 250_000;
  const clock = options.now ?? Date.now;
  let day = Math.floor(clock() / dayMs);
  let usedToday = 0;
  let inputErrors = new Map<string, HubSpotInputError & { left: number }>();
  let sequence = 1000;

  const normalize = (property: string, value: string) =>
    property === 'email' ? value.toLowerCase() : value;

  function rateHeaders(token: string | undefined): Record<string, string> {
    const recent = token === undefined ? [] : (windows.get(token) ?? []);
    return {
      'x-hubspot-ratelimit-daily': String(daily),
      'x-hubspot-ratelimit-daily-remaining': String(Math.max(0, daily - usedToday)),
      'x-hubspot-ratelimit-interval-milliseconds': String(intervalMs),
      'x-hubspot-ratelimit-max': String(tenSecondly),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, tenSecondly - recent.length)),
    };
  }

  /** Counts the request against both limits, or says which one it breaks. */
  function admit(token: string): 'TEN_SECONDLY_ROLLING' | 'DAILY' | undefined {
    const now = clock();
    const today = Math.floor(now / dayMs);
    if (today !== day) {
      day = today;
      usedToday = 0;
    }
    const recent = (windows.get(token) ?? []).filter((at) => now - at < intervalMs);
    windows.set(token, recent);
    if (usedToday >= daily) return 'DAILY';
    if (recent.length >= tenSecondly) return 'TEN_SECONDLY_ROLLING';
    recent.push(now);
    usedToday += 1;
    return undefined;
  }

  async function api(request: FakeRequest): Promise<FakeResponse> {
    const token = bearerToken(request.headers);
    if (token === undefined || !tokens.has(token)) {
      violations.add(request, 'invalid-authentication', 'no valid private-app token');
      return hubspotError(
        401,
        'INVALID_AUTHENTICATION',
        'the access token is missing, revoked or unknown',
      );
    }
    if (faults.throttled()) {
      return withHeaders(token, {
        status: 429,
        headers: { 'x-hubspot-ratelimit-remaining': '0' },
        body: {
          status: 'error',
          message: 'the ten-second limit is reached',
          errorType: 'RATE_LIMIT',
          correlationId: correlationId(),
          policyName: 'TEN_SECONDLY_ROLLING',
          requestId: randomUUID(),
        },
      });
    }
    const breached = admit(token);
    if (breached !== undefined) {
      violations.add(
        request,
        breached === 'DAILY' ? 'rate-limit-daily' : 'rate-limit-ten-secondly',
        breached === 'DAILY'
          ? `request past the daily limit of ${daily}`
          : `request past ${tenSecondly} per ${intervalMs} ms for this token`,
      );
      return withHeaders(token, {
        status: 429,
        body: {
          status: 'error',
          message:
            breached === 'DAILY' ? 'the daily limit is reached' : 'the ten-second limit is reached',
          errorType: 'RATE_LIMIT',
          correlationId: correlationId(),
          policyName: breached,
          requestId: randomUUID(),
        },
      });
    }
    if (faults.delayMs > 0) await sleep(faults.delayMs);
    const failure = faults.nextFailure();
    if (failure !== undefined) {
      return withHeaders(token, hubspotError(failure, 'INTERNAL_ERROR', 'injected server failure'));
    }
    if (!upsertPaths.includes(request.path)) {
      return withHeaders(token, hubspotError(404, 'OBJECT_NOT_FOUND', 'no such resource'));
    }
    if (request.method !== 'POST') {
      return withHeaders(
        token,
        hubspotError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here`),
      );
    }
    return withHeaders(token, upsert(request));
  }

  function withHeaders(token: string, answer: FakeResponse): FakeResponse {
    return { ...answer, headers: { ...rateHeaders(token), ...answer.headers } };
  }

  function invalid(request: FakeRequest, rule: string, message: string): FakeResponse {
    violations.add(request, rule, message);
    return hubspotError(400, 'VALIDATION_ERROR', message);
  }

  function upsert(request: FakeRequest): FakeResponse {
    const body = parseJson(request.body);
    const inputs = isPlainObject(body) ? body.inputs : undefined;
    if (!Array.isArray(inputs) || !inputs.every(isPlainObject)) {
      return invalid(request, 'malformed-body', 'the body must be {inputs: [objects]}');
    }
    if (inputs.length > maxInputs) {
      return invalid(request, 'batch-too-large', `${inputs.length} inputs, at most ${maxInputs}`);
    }
    const seen = new Set<string>();
    for (const input of inputs) {
      if (typeof input.id !== 'string' || input.id === '') {
        return invalid(request, 'malformed-body', 'every input needs an id string');
      }
      if (!isPlainObject(input.properties)) {
        return invalid(request, 'malformed-body', 'every input needs a properties object');
      }
      if (typeof input.idProperty !== 'string' || !uniqueProperties.includes(input.idProperty)) {
        return invalid(
          request,
          'bad-id-property',
          `idProperty ${String(input.idProperty)} is not a unique property (${uniqueProperties.join(', ')})`,
        );
      }
      const notString = Object.entries(input.properties).filter(
        ([, value]) => typeof value !== 'string',
      );
      if (notString.length > 0) {
        return invalid(
          request,
          'non-string-property',
          `property values must be strings: ${notString.map(([name]) => name).join(', ')}`,
        );
      }
      if (input.objectWriteTraceId !== undefined && typeof input.objectWriteTraceId !== 'string') {
        return invalid(request, 'malformed-body', 'objectWriteTraceId must be a string');
      }
      const key = `${input.idProperty}:${normalize(input.idProperty, input.id)}`;
      if (seen.has(key)) {
        return invalid(request, 'duplicate-id', `the id ${input.id} appears twice in one batch`);
      }
      seen.add(key);
    }
    const startedAt = new Date().toISOString();
    const results: object[] = [];
    const failures: InputFailure[] = [];
    for (const input of inputs) {
      const outcome = upsertOne(request, {
        id: input.id as string,
        idProperty: input.idProperty as string,
        properties: input.properties as Record<string, string>,
        objectWriteTraceId: input.objectWriteTraceId as string | undefined,
      });
      if ('category' in outcome) failures.push(outcome);
      else results.push(outcome);
    }
    const completedAt = new Date().toISOString();
    if (failures.length === 0) {
      return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } };
    }
    return {
      status: 207,
      body: {
        status: 'COMPLETE',
        results,
        errors: failures,
        numErrors: failures.length,
        startedAt,
        completedAt,
      },
    };
  }

  function upsertOne(
    request: FakeRequest,
    input: {
      id: string;
      idProperty: string;
      properties: Record<string, string>;
      objectWriteTraceId?: string;
    },
  ): object | InputFailure {
    const context: Record<string, string[]> = { id: [input.id] };
    if (input.objectWriteTraceId !== undefined)
      context.objectWriteTraceId = [input.objectWriteTraceId];
    const fail = (category: string, code: string, message: string): InputFailure => ({
      status: 'error',
      category,
      message,
      context,
      errors: [{ message, code }],
    });
    const unknown = Object.keys(input.properties).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      violations.add(request, 'unknown-property', `no contact property ${unknown.join(', ')}`);
      return fail(
        'VALIDATION_ERROR',
        'PROPERTY_DOESNT_EXIST',
        `unknown properties: ${unknown.join(', ')}`,
      );
    }
    if (input.idProperty === 'email' && !emailPattern.test(input.id)) {
      return fail('VALIDATION_ERROR', 'INVALID_EMAIL', `${input.id} is not a valid email address`);
    }
    const owner = input.properties.hubspot_owner_id;
    if (ownerIds && owner !== undefined && owner !== '' && !ownerIds.has(owner)) {
      return fail(
        'VALIDATION_ERROR',
        'INVALID_OWNER_ID',
        `${owner} is not an owner of this account`,
      );
    }
    const injected = inputErrors.get(input.id);
    if (injected && injected.left > 0) {
      injected.left -= 1;
      return fail(
        injected.category,
        injected.category,
        injected.message ?? `injected ${injected.category}`,
      );
    }
    const index = byUnique.get(input.idProperty) ?? new Map<string, string>();
    const existingId = index.get(normalize(input.idProperty, input.id));
    const existing = existingId === undefined ? undefined : contacts.get(existingId);
    const now = clock();
    const contact: StoredContact = existing
      ? {
          ...existing,
          properties: { ...existing.properties, ...input.properties },
          updatedAt: now,
          writes: existing.writes + 1,
        }
      : {
          id: String((sequence += 1)),
          properties: { ...input.properties, [input.idProperty]: input.id },
          createdAt: now,
          updatedAt: now,
          writes: 1,
        };
    contacts.set(contact.id, contact);
    for (const [property, values] of byUnique) {
      const value = contact.properties[property];
      if (value !== undefined && value !== '') values.set(normalize(property, value), contact.id);
    }
    return {
      id: contact.id,
      properties: {
        ...contact.properties,
        hs_object_id: contact.id,
        createdate: new Date(contact.createdAt).toISOString(),
        lastmodifieddate: new Date(contact.updatedAt).toISOString(),
      },
      createdAt: new Date(contact.createdAt).toISOString(),
      updatedAt: new Date(contact.updatedAt).toISOString(),
      archived: false,
      new: existing === undefined,
      ...(input.objectWriteTraceId !== undefined
        ? { objectWriteTraceId: input.objectWriteTraceId }
        : {}),
    };
  }

  function records(): HubSpotContacts {
    const out: HubSpotContacts = {};
    const keyProperty = uniqueProperties[0] ?? 'email';
    for (const contact of contacts.values()) {
      const key = contact.properties[keyProperty] ?? `hs_object_id:${contact.id}`;
      out[key] = {
        id: contact.id,
        hubspot_owner_id: contact.properties.hubspot_owner_id,
        properties: { ...contact.properties },
        createdAt: new Date(contact.createdAt).toISOString(),
        updatedAt: new Date(contact.updatedAt).toISOString(),
        writes: contact.writes,
      };
    }
    return out;
  }

  async function handle(request: FakeRequest): Promise<FakeResponse> {
    if (request.method === 'GET' && request.path === '/_fake/contacts')
      return { status: 200, body: records() };
    if (request.method === 'GET' && request.path === '/_fake/violations') {
      return { status: 200, body: violations.list() };
    }
    return api(request);
  }

  const http = await startHttpFake(handle, options);

  return {
    url: http.url,
    close: () => http.close(),
    records,
    violations: () => violations.list(),
    requests: () => http.requests(),
    control: {
      failNext: (count, status) => faults.failNext(count, status),
      failRandomly: (fraction, opts) => faults.failRandomly(fraction, opts),
      slow: (ms) => faults.slow(ms),
      throttle: (ms) => faults.throttle(ms),
      failInputs(errors) {
        for (const [id, error] of Object.entries(errors)) {
          inputErrors.set(id, { ...error, left: error.times ?? Number.POSITIVE_INFINITY });
        }
      },
      outage: (on, mode) => http.setOutage(on, mode),
      resetLimits() {
        windows.clear();
        usedToday = 0;
      },
      setLimits(limits) {
        tenSecondly = limits.tenSecondly ?? tenSecondly;
        daily = limits.daily ?? daily;
        intervalMs = limits.intervalMs ?? intervalMs;
      },
      heal() {
        faults.heal();
        inputErrors = new Map();
      },
    },
  };
}
