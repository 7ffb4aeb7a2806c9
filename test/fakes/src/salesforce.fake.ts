import {
  createHmac,
  createPublicKey,
  randomBytes,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import {
  bearerToken,
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

/** What the fake org knows about one sObject. Field names are case-sensitive here. */
export interface SObjectSchema {
  /** Fields marked External ID, usable in the upsert URI. */
  externalIdFields: string[];
  /** Every writable field, standard and custom (`__c`), the external id fields included. */
  fields: string[];
  /** Fields an insert must set (Lead: LastName, Company). */
  requiredOnCreate?: string[];
  /** The three-character key prefix of record ids (Lead 00Q, Contact 003). */
  idPrefix?: string;
}

export interface FakeSalesforceJwtOptions {
  /** The connected app's consumer key: the assertion's `iss`. Defaults to `clientId`. */
  consumerKey?: string;
  /** The run-as user: the assertion's `sub`. */
  username: string;
  /** The certificate (or SPKI public key) uploaded to the app, PEM, or a KeyObject. */
  publicKey: string | KeyObject;
  /** Accepted `aud` values; default the login hosts and the fake's own URL. */
  audience?: string | string[];
  /** How far in the future `exp` may be (default 180 s, "within three minutes"). */
  maxLifetimeSeconds?: number;
}

export interface FakeSalesforceOptions extends ListenOptions {
  clientId?: string;
  clientSecret?: string;
  jwt?: FakeSalesforceJwtOptions;
  /** Default: the Lead and Contact schemas below. */
  sobjects?: Record<string, SObjectSchema>;
  /** API requests allowed per rolling 24 h (default 100,000). */
  dailyAllocation?: number;
  /** Requests already counted at start. */
  apiUsage?: number;
  /** Concurrent requests of `longRequestMs` or longer (default 25, production orgs). */
  concurrentLongRequestLimit?: number;
  /** When a request counts as long running (default 20,000 ms). */
  longRequestMs?: number;
  /** Inactivity after which a session expires (default two hours). */
  sessionTimeoutMs?: number;
  /** The `instance_url` handed out with tokens; default the fake's own URL. */
  instanceUrl?: string;
  /** OwnerId of records created without one. */
  defaultOwnerId?: string;
}

export interface SalesforceRecord {
  Id: string;
  OwnerId: string;
  fields: Record<string, unknown>;
  /** Successful upserts of this external id, the insert included. */
  writes: number;
}

/** What the fake holds: sObject → external id value → record. */
export type SalesforceRecords = Record<string, Record<string, SalesforceRecord>>;

export interface SalesforceRecordError {
  statusCode: string;
  message?: string;
  fields?: string[];
  /** How many upserts of this external id fail before it succeeds (default: all of them). */
  times?: number;
}

export interface FakeSalesforceControl {
  /** Every access token issued so far answers 401 INVALID_SESSION_ID from now on. */
  expireAllTokens(): void;
  /** The next `count` authenticated API requests answer `status` (default 503). */
  failNext(count: number, status?: number): void;
  /** Each authenticated API request answers `status` with probability `fraction`, seeded. */
  failRandomly(fraction: number, options?: { seed?: number; status?: number }): void;
  /** Every answer waits `ms` first. */
  slow(ms: number): void;
  /**
   * A burst of rate-limit refusals: for `ms` milliseconds every authenticated API request answers
   * 403 REQUEST_LIMIT_EXCEEDED for too many concurrent long requests, as when other integrations
   * of the org hold the 25 slots. Salesforce's only per-moment limit; not counted as violations.
   */
  throttle(ms: number): void;
  /** Per-record errors for chosen external id values. */
  failRecords(errors: Record<string, SalesforceRecordError>): void;
  /** Total outage on or off: `reset` (default) cuts connections, `refused` frees the port. */
  outage(on: boolean, mode?: OutageMode): Promise<void>;
  setDailyAllocation(allocation: number): void;
  setApiUsage(used: number): void;
  /** No injected failure, delay or per-record error left. */
  heal(): void;
}

export interface FakeSalesforce {
  url: string;
  close(): Promise<void>;
  records(): SalesforceRecords;
  violations(): Violation[];
  requests(): RequestLogEntry[];
  control: FakeSalesforceControl;
}

export const defaultSObjects: Readonly<Record<string, SObjectSchema>> = {
  Lead: {
    externalIdFields: ['Lead_Id__c'],
    fields: [
      'Lead_Id__c',
      'FirstName',
      'LastName',
      'Company',
      'Email',
      'Phone',
      'Title',
      'Website',
      'Country',
      'LeadSource',
      'Status',
      'Description',
      'OwnerId',
      'Routing_Queue__c',
      'Routing_Rule__c',
      'Rule_Set_Version__c',
    ],
    requiredOnCreate: ['LastName', 'Company'],
    idPrefix: '00Q',
  },
  Contact: {
    externalIdFields: ['Lead_Id__c'],
    fields: ['Lead_Id__c', 'FirstName', 'LastName', 'Email', 'Phone', 'Title', 'OwnerId'],
    requiredOnCreate: ['LastName'],
    idPrefix: '003',
  },
};

const maxRecordsPerCollection = 200;
const minimumCollectionsVersion = 46;
const jwtGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const clockSkewSeconds = 10;
/** User (005) or queue (00G) ids, 15 or 18 characters. */
const ownerIdPattern = /^(005|00G)[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/;
const upsertPath = /^\/services\/data\/v(\d+)\.(\d+)\/composite\/sobjects\/([^/]+)\/([^/]+)$/;

interface ErrorItem {
  statusCode: string;
  message: string;
  fields: string[];
}

interface UpsertResult {
  id: string | null;
  success: boolean;
  created?: boolean;
  errors: ErrorItem[];
}

interface StoredRecord extends SalesforceRecord {
  createdAt: number;
  updatedAt: number;
}

function restError(
  status: number,
  errorCode: string,
  message: string,
  fields?: string[],
): FakeResponse {
  return { status, body: [{ message, errorCode, ...(fields ? { fields } : {}) }] };
}

function oauthError(error: string, description: string): FakeResponse {
  return { status: 400, body: { error, error_description: description } };
}

function publicKeyOf(key: string | KeyObject): KeyObject {
  if (typeof key !== 'string') return key;
  return key.includes('CERTIFICATE') ? new X509Certificate(key).publicKey : createPublicKey(key);
}

/**
 * A fake Salesforce org: the OAuth token endpoint (client credentials and JWT bearer) and the
 * sObject Collections upsert, enforcing what the REST API Developer Guide documents and counting
 * every contract point a client breaks. See README.md for the sources of each rule.
 */
export async function startFakeSalesforce(
  options: FakeSalesforceOptions = {},
): Promise<FakeSalesforce> {
  const sobjects = options.sobjects ?? defaultSObjects;
  const longRequestMs = options.longRequestMs ?? 20_000;
  const concurrentLimit = options.concurrentLongRequestLimit ?? 25;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 2 * 60 * 60 * 1000;
  const defaultOwnerId = options.defaultOwnerId ?? '005000000000001AAA';
  const jwtKey = options.jwt ? publicKeyOf(options.jwt.publicKey) : undefined;
  const violations = new ViolationLog();
  const faults = new FaultPlan();
  const sessions = new Map<string, number>();
  const store = new Map<string, Map<string, StoredRecord>>();
  const inFlight = new Set<{ started: number }>();
  let recordErrors = new Map<string, SalesforceRecordError & { left: number }>();
  let allocation = options.dailyAllocation ?? 100_000;
  let used = options.apiUsage ?? 0;
  let sequence = 0;
  let selfUrl = '';

  const nextId = (prefix: string) => {
    sequence += 1;
    return `${prefix}${sequence.toString(36).toUpperCase().padStart(12, '0')}AAA`;
  };

  async function token(request: FakeRequest): Promise<FakeResponse> {
    if (request.method !== 'POST')
      return oauthError('invalid_request', 'the token endpoint takes POST');
    const contentType = String(request.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      violations.add(request, 'token-not-form-encoded', `token request sent as "${contentType}"`);
      return oauthError('invalid_request', 'parameters must be form-encoded in the body');
    }
    const form = new URLSearchParams(request.body);
    const grant = form.get('grant_type');
    if (grant === 'client_credentials') {
      const ok =
        options.clientId !== undefined &&
        form.get('client_id') === options.clientId &&
        form.get('client_secret') === options.clientSecret;
      if (!ok) {
        violations.add(request, 'bad-client-credentials', 'client_id/client_secret not accepted');
        return oauthError('invalid_client', 'the client id or secret is not valid');
      }
      return issue(options.clientSecret ?? '');
    }
    if (grant === jwtGrant) return jwtBearer(request, form.get('assertion'));
    violations.add(request, 'unsupported-grant', `grant_type ${grant ?? '(none)'}`);
    return oauthError('unsupported_grant_type', 'this grant type is not supported');
  }

  async function jwtBearer(request: FakeRequest, assertion: string | null): Promise<FakeResponse> {
    const jwt = options.jwt;
    if (!jwt || !jwtKey) {
      violations.add(request, 'bad-jwt-assertion', 'no certificate is configured for the JWT flow');
      return oauthError('invalid_client', 'the app does not use digital signatures');
    }
    if (!assertion) {
      violations.add(request, 'bad-jwt-assertion', 'no assertion');
      return oauthError('invalid_request', 'an assertion is required');
    }
    const consumerKey = jwt.consumerKey ?? options.clientId;
    const audience = jwt.audience ?? [
      'https://login.salesforce.com',
      'https://test.salesforce.com',
      selfUrl,
    ];
    try {
      const { payload } = await jwtVerify(assertion, jwtKey, {
        algorithms: ['RS256'],
        ...(consumerKey !== undefined ? { issuer: consumerKey } : {}),
        audience,
        subject: jwt.username,
        requiredClaims: ['iss', 'sub', 'aud', 'exp'],
        clockTolerance: clockSkewSeconds,
      });
      const lifetime = (payload.exp ?? 0) - Math.floor(Date.now() / 1000);
      const maxLifetime = jwt.maxLifetimeSeconds ?? 180;
      if (lifetime > maxLifetime + clockSkewSeconds) {
        violations.add(
          request,
          'bad-jwt-assertion',
          `exp is ${lifetime}s ahead, over ${maxLifetime}s`,
        );
        return oauthError('invalid_grant', 'the assertion expires too far in the future');
      }
    } catch (error) {
      const claim = error instanceof joseErrors.JWTClaimValidationFailed ? error.claim : undefined;
      const reason =
        error instanceof joseErrors.JWTExpired
          ? 'the assertion has expired'
          : claim !== undefined
            ? `claim ${claim} not accepted`
            : error instanceof joseErrors.JOSEError
              ? `assertion not verified (${error.code})`
              : 'assertion not verified';
      violations.add(request, 'bad-jwt-assertion', reason);
      return claim === 'iss'
        ? oauthError('invalid_client', 'the issuer is not a known consumer key')
        : oauthError('invalid_grant', reason);
    }
    return issue(options.clientSecret ?? jwt.username);
  }

  function issue(secret: string): FakeResponse {
    const accessToken = `00D000000000001!${randomBytes(24).toString('base64url')}`;
    sessions.set(accessToken, Date.now());
    const issuedAt = String(Date.now());
    const id = `${selfUrl}/id/00D000000000001AAA/${defaultOwnerId}`;
    return {
      status: 200,
      body: {
        access_token: accessToken,
        instance_url: options.instanceUrl ?? selfUrl,
        id,
        token_type: 'Bearer',
        issued_at: issuedAt,
        signature: createHmac('sha256', secret)
          .update(id + issuedAt)
          .digest('base64'),
        scope: 'api',
      },
    };
  }

  function sessionValid(request: FakeRequest): boolean {
    const value = bearerToken(request.headers);
    if (value === undefined) return false;
    const lastUsed = sessions.get(value);
    if (lastUsed === undefined || Date.now() - lastUsed > sessionTimeoutMs) {
      sessions.delete(value);
      return false;
    }
    sessions.set(value, Date.now());
    return true;
  }

  async function api(request: FakeRequest): Promise<FakeResponse> {
    if (!sessionValid(request)) {
      violations.add(request, 'invalid-session', 'request without a valid access token');
      return restError(401, 'INVALID_SESSION_ID', 'the session is expired or was never issued');
    }
    if (used >= allocation) {
      violations.add(
        request,
        'daily-allocation',
        `request after the allocation (${allocation}) was spent`,
      );
      return restError(403, 'REQUEST_LIMIT_EXCEEDED', 'total API requests for the org exceeded');
    }
    if (faults.throttled()) {
      return restError(
        403,
        'REQUEST_LIMIT_EXCEEDED',
        'concurrent long-running request limit exceeded by other clients of the org',
      );
    }
    const now = Date.now();
    const long = [...inFlight].filter((entry) => now - entry.started >= longRequestMs).length;
    if (long >= concurrentLimit) {
      violations.add(
        request,
        'concurrent-long-requests',
        `${long} requests of ${longRequestMs} ms or longer already running (limit ${concurrentLimit})`,
      );
      return restError(
        403,
        'REQUEST_LIMIT_EXCEEDED',
        'concurrent long-running request limit exceeded',
      );
    }
    used += 1;
    const entry = { started: now };
    inFlight.add(entry);
    try {
      if (faults.delayMs > 0) await sleep(faults.delayMs);
      const failure = faults.nextFailure();
      if (failure !== undefined) {
        return restError(failure, 'SERVER_UNAVAILABLE', 'injected server failure');
      }
      return route(request);
    } finally {
      inFlight.delete(entry);
    }
  }

  function route(request: FakeRequest): FakeResponse {
    const match = upsertPath.exec(request.path);
    if (!match) return restError(404, 'NOT_FOUND', 'the requested resource does not exist');
    const [, major, , sobject = '', externalIdField = ''] = match;
    if (Number(major) < minimumCollectionsVersion) {
      violations.add(
        request,
        'api-version',
        `collections upsert needs v${minimumCollectionsVersion}.0+`,
      );
      return restError(404, 'NOT_FOUND', 'the requested resource does not exist');
    }
    if (request.method !== 'PATCH') {
      return restError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here`);
    }
    const schema = sobjects[sobject];
    if (!schema) {
      violations.add(request, 'unknown-sobject', `no sObject ${sobject}`);
      return restError(404, 'NOT_FOUND', `the sObject type ${sobject} does not exist`);
    }
    if (!schema.externalIdFields.includes(externalIdField)) {
      violations.add(
        request,
        'unknown-external-id-field',
        `${externalIdField} is not an external id field`,
      );
      return restError(404, 'NOT_FOUND', `the external id field ${externalIdField} does not exist`);
    }
    return upsert(request, sobject, externalIdField, schema);
  }

  function upsert(
    request: FakeRequest,
    sobject: string,
    externalIdField: string,
    schema: SObjectSchema,
  ): FakeResponse {
    const body = parseJson(request.body);
    const records = isPlainObject(body) ? body.records : undefined;
    const allOrNone = isPlainObject(body) ? body.allOrNone : undefined;
    if (
      !Array.isArray(records) ||
      !records.every(isPlainObject) ||
      (allOrNone !== undefined && typeof allOrNone !== 'boolean')
    ) {
      violations.add(
        request,
        'malformed-body',
        'body is not {allOrNone?: boolean, records: [objects]}',
      );
      return restError(400, 'JSON_PARSER_ERROR', 'the body is not a valid sObject collection');
    }
    if (records.length > maxRecordsPerCollection) {
      violations.add(
        request,
        'batch-too-large',
        `${records.length} records, at most ${maxRecordsPerCollection}`,
      );
      return restError(
        400,
        'EXCEEDED_ID_LIMIT',
        `a collection holds at most ${maxRecordsPerCollection} records, got ${records.length}`,
      );
    }
    const table = store.get(sobject) ?? new Map<string, StoredRecord>();
    const staged = new Map<string, StoredRecord>();
    const results = records.map((record) =>
      upsertOne(request, record, sobject, externalIdField, schema, table, staged),
    );
    const failed = results.some((result) => !result.success);
    if (allOrNone === true && failed) {
      return {
        status: 200,
        body: results.map((result) =>
          result.success
            ? {
                id: null,
                success: false,
                errors: [
                  {
                    statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                    message: 'rolled back: another record in this allOrNone request failed',
                    fields: [],
                  },
                ],
              }
            : result,
        ),
      };
    }
    for (const [key, record] of staged) table.set(key, record);
    store.set(sobject, table);
    return { status: 200, body: results };
  }

  function upsertOne(
    request: FakeRequest,
    record: Record<string, unknown>,
    sobject: string,
    externalIdField: string,
    schema: SObjectSchema,
    table: Map<string, StoredRecord>,
    staged: Map<string, StoredRecord>,
  ): UpsertResult {
    const fail = (statusCode: string, message: string, fields: string[] = []): UpsertResult => ({
      id: null,
      success: false,
      errors: [{ statusCode, message, fields }],
    });
    const attributes = record.attributes;
    const type = isPlainObject(attributes) ? attributes.type : undefined;
    if (typeof type !== 'string' || type === '') {
      violations.add(request, 'missing-attributes-type', 'a record without attributes.type');
      return fail('INVALID_TYPE', 'every record needs attributes.type');
    }
    if (type !== sobject) {
      violations.add(
        request,
        'wrong-attributes-type',
        `attributes.type ${type} in a ${sobject} collection`,
      );
      return fail('INVALID_TYPE', `attributes.type ${type} does not match ${sobject}`);
    }
    const fieldNames = Object.keys(record).filter((name) => name !== 'attributes');
    if (fieldNames.some((name) => name.toLowerCase() === 'id')) {
      violations.add(request, 'id-sent', 'a record carries an Id; upsert by external id only');
      return fail('INVALID_FIELD', 'record ids are not allowed in an upsert by external id', [
        'Id',
      ]);
    }
    const rawKey = record[externalIdField];
    if (rawKey === undefined || rawKey === null || rawKey === '') {
      violations.add(request, 'missing-external-id', `a record without ${externalIdField}`);
      return fail('MISSING_ARGUMENT', `${externalIdField} is not set`, [externalIdField]);
    }
    const unknown = fieldNames.filter((name) => !schema.fields.includes(name));
    if (unknown.length > 0) {
      violations.add(request, 'unknown-field', `no field ${unknown.join(', ')} on ${sobject}`);
      return fail('INVALID_FIELD', `no such field on ${sobject}: ${unknown.join(', ')}`, unknown);
    }
    const ownerId = record.OwnerId;
    if (ownerId !== undefined && (typeof ownerId !== 'string' || !ownerIdPattern.test(ownerId))) {
      violations.add(
        request,
        'malformed-owner-id',
        `OwnerId ${String(ownerId)} is not a user or queue id`,
      );
      return fail('MALFORMED_ID', 'OwnerId is not a valid user or queue id', ['OwnerId']);
    }
    const key = String(rawKey);
    const injected = recordErrors.get(key);
    if (injected && injected.left > 0) {
      injected.left -= 1;
      return fail(
        injected.statusCode,
        injected.message ?? `injected ${injected.statusCode}`,
        injected.fields ?? [],
      );
    }
    const { attributes: _attributes, ...fields } = record;
    const existing = staged.get(key) ?? table.get(key);
    const now = Date.now();
    if (existing) {
      const merged = { ...existing.fields, ...fields };
      staged.set(key, {
        ...existing,
        fields: merged,
        OwnerId: typeof merged.OwnerId === 'string' ? merged.OwnerId : existing.OwnerId,
        writes: existing.writes + 1,
        updatedAt: now,
      });
      return { id: existing.Id, success: true, created: false, errors: [] };
    }
    const missing = (schema.requiredOnCreate ?? []).filter(
      (name) => fields[name] === undefined || fields[name] === null || fields[name] === '',
    );
    if (missing.length > 0) {
      return fail(
        'REQUIRED_FIELD_MISSING',
        `required fields are missing: ${missing.join(', ')}`,
        missing,
      );
    }
    const created: StoredRecord = {
      Id: nextId(schema.idPrefix ?? 'a00'),
      OwnerId: typeof fields.OwnerId === 'string' ? fields.OwnerId : defaultOwnerId,
      fields,
      writes: 1,
      createdAt: now,
      updatedAt: now,
    };
    staged.set(key, created);
    return { id: created.Id, success: true, created: true, errors: [] };
  }

  function records(): SalesforceRecords {
    const out: SalesforceRecords = {};
    for (const [sobject, table] of store) {
      const rows: Record<string, SalesforceRecord> = {};
      for (const [key, record] of table) {
        rows[key] = {
          Id: record.Id,
          OwnerId: record.OwnerId,
          fields: { ...record.fields },
          writes: record.writes,
        };
      }
      out[sobject] = rows;
    }
    return out;
  }

  async function handle(request: FakeRequest): Promise<FakeResponse> {
    if (request.method === 'GET' && request.path === '/_fake/records') {
      return { status: 200, body: records() };
    }
    if (request.method === 'GET' && request.path === '/_fake/violations') {
      return { status: 200, body: violations.list() };
    }
    if (request.path === '/services/oauth2/token') return token(request);
    if (request.path.startsWith('/services/data/')) {
      const answer = await api(request);
      return {
        ...answer,
        headers: { ...answer.headers, 'sforce-limit-info': `api-usage=${used}/${allocation}` },
      };
    }
    return restError(404, 'NOT_FOUND', 'the requested resource does not exist');
  }

  const http = await startHttpFake(handle, options);
  selfUrl = http.url;

  return {
    url: http.url,
    close: () => http.close(),
    records,
    violations: () => violations.list(),
    requests: () => http.requests(),
    control: {
      expireAllTokens: () => sessions.clear(),
      failNext: (count, status) => faults.failNext(count, status),
      failRandomly: (fraction, opts) => faults.failRandomly(fraction, opts),
      slow: (ms) => faults.slow(ms),
      throttle: (ms) => faults.throttle(ms),
      failRecords(errors) {
        for (const [key, error] of Object.entries(errors)) {
          recordErrors.set(key, { ...error, left: error.times ?? Number.POSITIVE_INFINITY });
        }
      },
      outage: (on, mode) => http.setOutage(on, mode),
      setDailyAllocation(value) {
        allocation = value;
      },
      setApiUsage(value) {
        used = value;
      },
      heal() {
        faults.heal();
        recordErrors = new Map();
      },
    },
  };
}
