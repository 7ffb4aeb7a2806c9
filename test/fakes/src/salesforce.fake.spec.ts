import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import {
  startFakeSalesforce,
  type FakeSalesforce,
  type FakeSalesforceOptions,
} from './salesforce.fake';

const clientId = '3MVGfake.consumer.key';
const clientSecret = 'fake-consumer-secret';
const username = 'integration@example.test';
const path = '/services/data/v62.0/composite/sobjects/Lead/Lead_Id__c';

interface Keys {
  privateKey: CryptoKey;
  publicPem: string;
  otherPrivateKey: CryptoKey;
}

async function keys(): Promise<Keys> {
  const pair = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  return {
    privateKey: pair.privateKey,
    publicPem: await exportSPKI(pair.publicKey),
    otherPrivateKey: other.privateKey,
  };
}

async function start(options: FakeSalesforceOptions = {}): Promise<FakeSalesforce> {
  return startFakeSalesforce({ clientId, clientSecret, ...options });
}

async function tokenFor(sut: FakeSalesforce): Promise<string> {
  const response = await fetch(`${sut.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

function lead(id: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    attributes: { type: 'Lead' },
    Lead_Id__c: id,
    LastName: `Nakamura ${id}`,
    Company: 'Example Works',
    OwnerId: '005000000000042AAA',
    Routing_Queue__c: 'emea-sales',
    ...fields,
  };
}

async function upsert(
  sut: FakeSalesforce,
  token: string | undefined,
  body: unknown,
  target = path,
): Promise<{ status: number; body: unknown; limitInfo: string | null }> {
  const response = await fetch(`${sut.url}${target}`, {
    method: 'PATCH',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as unknown,
    limitInfo: response.headers.get('sforce-limit-info'),
  };
}

function rules(sut: FakeSalesforce): string[] {
  return sut.violations().map((violation) => violation.rule);
}

describe('fake Salesforce: OAuth token endpoint', () => {
  let sut: FakeSalesforce;
  let key: Keys;
  before(async () => {
    key = await keys();
    sut = await start({ jwt: { username, publicKey: key.publicPem } });
  });
  after(() => sut.close());

  const post = async (form: Record<string, string>) => {
    const response = await fetch(`${sut.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const assertion = (claims: Record<string, unknown>, signer = key.privateKey) =>
    new SignJWT({ iss: clientId, sub: username, aud: 'https://login.salesforce.com', ...claims })
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : '2m')
      .sign(signer);

  it('issues a token for the client credentials flow, with every documented field', async () => {
    const answer = await post({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    assert.equal(answer.status, 200);
    for (const field of [
      'access_token',
      'instance_url',
      'id',
      'token_type',
      'issued_at',
      'signature',
    ]) {
      assert.equal(typeof answer.body[field], 'string', field);
    }
    assert.equal(answer.body.token_type, 'Bearer');
    assert.equal(answer.body.instance_url, sut.url);
  });

  it('refuses a wrong client secret with 400 invalid_client and counts it', async () => {
    const before = sut.violations().length;
    const answer = await post({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: 'nope',
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'invalid_client');
    assert.equal(typeof answer.body.error_description, 'string');
    assert.equal(sut.violations().length, before + 1);
    assert.equal(sut.violations().at(-1)?.rule, 'bad-client-credentials');
  });

  it('refuses token parameters sent as JSON instead of a form', async () => {
    const response = await fetch(`${sut.url}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }),
    });
    assert.equal(response.status, 400);
    assert.equal(sut.violations().at(-1)?.rule, 'token-not-form-encoded');
  });

  it('issues a token for a JWT bearer assertion signed with the configured key', async () => {
    const answer = await post({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: await assertion({}),
    });
    assert.equal(answer.status, 200);
    assert.equal(typeof answer.body.access_token, 'string');
  });

  it('refuses assertions that break a JWT rule, each as the vendor answers it', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Promise<string>, string][] = [
      ['another key', assertion({}, key.otherPrivateKey), 'invalid_grant'],
      ['unknown consumer key', assertion({ iss: 'someone-else' }), 'invalid_client'],
      ['another user', assertion({ sub: 'intruder@example.test' }), 'invalid_grant'],
      ['wrong audience', assertion({ aud: 'https://example.test' }), 'invalid_grant'],
      ['expired', assertion({ exp: now - 120 }), 'invalid_grant'],
      ['exp an hour ahead', assertion({ exp: now + 3600 }), 'invalid_grant'],
    ];
    for (const [name, signed, error] of cases) {
      const before = sut.violations().length;
      const answer = await post({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: await signed,
      });
      assert.equal(answer.status, 400, name);
      assert.equal(answer.body.error, error, name);
      assert.equal(sut.violations().length, before + 1, name);
      assert.equal(sut.violations().at(-1)?.rule, 'bad-jwt-assertion', name);
    }
  });
});

describe('fake Salesforce: sObject Collections upsert', () => {
  let sut: FakeSalesforce;
  let token: string;
  before(async () => {
    sut = await start();
    token = await tokenFor(sut);
  });
  after(() => sut.close());

  it('stores a well-behaved batch as records with OwnerId and custom fields, results in order', async () => {
    const answer = await upsert(sut, token, {
      allOrNone: false,
      records: [lead('L-1'), lead('L-2')],
    });
    assert.equal(answer.status, 200);
    const results = answer.body as {
      id: string;
      success: boolean;
      created: boolean;
      errors: unknown[];
    }[];
    assert.equal(results.length, 2);
    assert.deepEqual(
      results.map((result) => [result.success, result.created, result.errors.length]),
      [
        [true, true, 0],
        [true, true, 0],
      ],
    );
    const stored = sut.records().Lead ?? {};
    assert.equal(stored['L-1']?.Id, results[0]?.id);
    assert.equal(stored['L-2']?.Id, results[1]?.id);
    assert.equal(stored['L-1']?.OwnerId, '005000000000042AAA');
    assert.equal(stored['L-1']?.fields.Routing_Queue__c, 'emea-sales');
    assert.equal(sut.violations().length, 0);
  });

  it('keeps one record when the same external id is upserted twice, the second time as an update', async () => {
    const first = await upsert(sut, token, { records: [lead('L-twice')] });
    const second = await upsert(sut, token, {
      records: [lead('L-twice', { OwnerId: '005000000000077AAA', Title: 'CTO' })],
    });
    const [created] = first.body as { id: string; created: boolean }[];
    const [updated] = second.body as { id: string; created: boolean }[];
    assert.equal(created?.created, true);
    assert.equal(updated?.created, false);
    assert.equal(updated?.id, created?.id);
    const leads = Object.values(sut.records().Lead ?? {}).filter(
      (record) => record.Id === created?.id,
    );
    assert.equal(leads.length, 1);
    assert.equal(leads[0]?.writes, 2);
    assert.equal(leads[0]?.OwnerId, '005000000000077AAA');
    assert.equal(leads[0]?.fields.Title, 'CTO');
  });

  it('reports api-usage=<used>/<allocation> on every API answer, refusals included', async () => {
    const good = await upsert(sut, token, { records: [lead('L-usage')] });
    const refused = await upsert(sut, 'not-a-token', { records: [lead('L-usage')] });
    assert.match(good.limitInfo ?? '', /^api-usage=\d+\/100000$/);
    assert.match(refused.limitInfo ?? '', /^api-usage=\d+\/100000$/);
  });

  it('answers 401 INVALID_SESSION_ID without a valid token and counts it', async () => {
    for (const bad of [undefined, 'made-up-token']) {
      const before = sut.violations().length;
      const answer = await upsert(sut, bad, { records: [lead('L-401')] });
      assert.equal(answer.status, 401);
      assert.deepEqual(
        (answer.body as { errorCode: string }[]).map((item) => item.errorCode),
        ['INVALID_SESSION_ID'],
      );
      assert.equal(sut.violations().length, before + 1);
      assert.equal(sut.violations().at(-1)?.rule, 'invalid-session');
    }
    assert.equal(sut.records().Lead?.['L-401'], undefined);
  });

  it('refuses a collection of 201 records with 400 and stores none of them', async () => {
    const records = Array.from({ length: 201 }, (_, index) => lead(`L-big-${index}`));
    const answer = await upsert(sut, token, { records });
    assert.equal(answer.status, 400);
    assert.equal((answer.body as { errorCode: string }[])[0]?.errorCode, 'EXCEEDED_ID_LIMIT');
    assert.equal(sut.violations().at(-1)?.rule, 'batch-too-large');
    assert.equal(sut.records().Lead?.['L-big-0'], undefined);
    const exactly200 = await upsert(sut, token, { records: records.slice(0, 200) });
    assert.equal(exactly200.status, 200);
  });

  it('answers 400 to a body that is not a collection', async () => {
    for (const body of ['{"records": [', { records: 'L-1' }, { allOrNone: 'yes', records: [] }]) {
      const before = sut.violations().length;
      const answer = await upsert(sut, token, body);
      assert.equal(answer.status, 400);
      assert.equal(sut.violations().length, before + 1);
      assert.equal(sut.violations().at(-1)?.rule, 'malformed-body');
    }
  });

  it('fails each record that breaks a record rule, writes the others, and counts every breach', async () => {
    const { attributes: _attributes, ...noAttributes } = lead('L-no-type');
    const records = [
      noAttributes,
      lead('L-contact', { attributes: { type: 'Contact' } }),
      lead('L-with-id', { Id: '00Q000000000001AAA' }),
      lead('L-unknown', { Favourite_Colour__c: 'teal' }),
      lead('L-owner', { OwnerId: 'alice' }),
      { attributes: { type: 'Lead' }, LastName: 'No Key', Company: 'Example Works' },
      lead('L-fine'),
    ];
    const before = sut.violations().length;
    const answer = await upsert(sut, token, { records });
    assert.equal(answer.status, 200);
    const results = answer.body as {
      success: boolean;
      errors: { statusCode: string; fields: string[] }[];
    }[];
    assert.deepEqual(
      results.map((result) => result.errors[0]?.statusCode ?? 'OK'),
      [
        'INVALID_TYPE',
        'INVALID_TYPE',
        'INVALID_FIELD',
        'INVALID_FIELD',
        'MALFORMED_ID',
        'MISSING_ARGUMENT',
        'OK',
      ],
    );
    assert.deepEqual(results[3]?.errors[0]?.fields, ['Favourite_Colour__c']);
    assert.deepEqual(
      sut
        .violations()
        .slice(before)
        .map((violation) => violation.rule),
      [
        'missing-attributes-type',
        'wrong-attributes-type',
        'id-sent',
        'unknown-field',
        'malformed-owner-id',
        'missing-external-id',
      ],
    );
    const stored = sut.records().Lead ?? {};
    assert.ok(stored['L-fine']);
    for (const key of ['L-no-type', 'L-contact', 'L-with-id', 'L-unknown', 'L-owner']) {
      assert.equal(stored[key], undefined, key);
    }
  });

  it('rolls every record back under allOrNone when one fails', async () => {
    const answer = await upsert(sut, token, {
      allOrNone: true,
      records: [lead('L-aon-1'), lead('L-aon-2', { Bogus__c: 'x' }), lead('L-aon-3')],
    });
    assert.equal(answer.status, 200);
    const results = answer.body as { success: boolean; errors: { statusCode: string }[] }[];
    assert.deepEqual(
      results.map((result) => [result.success, result.errors[0]?.statusCode]),
      [
        [false, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
        [false, 'INVALID_FIELD'],
        [false, 'ALL_OR_NONE_OPERATION_ROLLED_BACK'],
      ],
    );
    const stored = sut.records().Lead ?? {};
    assert.equal(stored['L-aon-1'], undefined);
    assert.equal(stored['L-aon-3'], undefined);
  });

  it('answers REQUIRED_FIELD_MISSING when an insert lacks a required field', async () => {
    const answer = await upsert(sut, token, {
      records: [lead('L-no-company', { Company: undefined })],
    });
    const [result] = answer.body as { errors: { statusCode: string; fields: string[] }[] }[];
    assert.equal(result?.errors[0]?.statusCode, 'REQUIRED_FIELD_MISSING');
    assert.deepEqual(result?.errors[0]?.fields, ['Company']);
  });

  it('refuses the collections resource below API v46.0, an unknown sObject and a non-external-id field', async () => {
    const targets: [string, string][] = [
      ['/services/data/v45.0/composite/sobjects/Lead/Lead_Id__c', 'api-version'],
      ['/services/data/v62.0/composite/sobjects/Widget__c/Lead_Id__c', 'unknown-sobject'],
      ['/services/data/v62.0/composite/sobjects/Lead/Email', 'unknown-external-id-field'],
    ];
    for (const [target, rule] of targets) {
      const answer = await upsert(sut, token, { records: [lead('L-path')] }, target);
      assert.equal(answer.status, 404, target);
      assert.equal(sut.violations().at(-1)?.rule, rule);
    }
  });

  it('lists what it holds on GET /_fake/records', async () => {
    const response = await fetch(`${sut.url}/_fake/records`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), sut.records());
  });
});

describe('fake Salesforce: limits', () => {
  it('answers 403 REQUEST_LIMIT_EXCEEDED once the daily allocation is spent, and counts each request past it', async () => {
    const sut = await start({ dailyAllocation: 3 });
    try {
      const token = await tokenFor(sut);
      const statuses: number[] = [];
      let lastLimitInfo: string | null = null;
      let lastBody: unknown;
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const answer = await upsert(sut, token, { records: [lead(`L-day-${attempt}`)] });
        statuses.push(answer.status);
        lastLimitInfo = answer.limitInfo;
        lastBody = answer.body;
      }
      assert.deepEqual(statuses, [200, 200, 200, 403, 403]);
      assert.equal(lastLimitInfo, 'api-usage=3/3');
      assert.equal((lastBody as { errorCode: string }[])[0]?.errorCode, 'REQUEST_LIMIT_EXCEEDED');
      assert.deepEqual(rules(sut), ['daily-allocation', 'daily-allocation']);
      sut.control.setDailyAllocation(10);
      assert.equal((await upsert(sut, token, { records: [lead('L-day-more')] })).status, 200);
    } finally {
      await sut.close();
    }
  });

  it('refuses a request while the concurrent long-running requests are at the limit', async () => {
    const sut = await start({ concurrentLongRequestLimit: 2, longRequestMs: 50 });
    try {
      const token = await tokenFor(sut);
      sut.control.slow(400);
      const long = [
        upsert(sut, token, { records: [lead('L-c-1')] }),
        upsert(sut, token, { records: [lead('L-c-2')] }),
      ];
      await new Promise((resolve) => setTimeout(resolve, 150));
      const refused = await upsert(sut, token, { records: [lead('L-c-3')] });
      assert.equal(refused.status, 403);
      assert.equal(
        (refused.body as { errorCode: string }[])[0]?.errorCode,
        'REQUEST_LIMIT_EXCEEDED',
      );
      assert.deepEqual(
        (await Promise.all(long)).map((answer) => answer.status),
        [200, 200],
      );
      assert.deepEqual(rules(sut), ['concurrent-long-requests']);
      assert.equal(sut.records().Lead?.['L-c-3'], undefined);
    } finally {
      await sut.close();
    }
  });
});

describe('fake Salesforce: controls', () => {
  let sut: FakeSalesforce;
  let token: string;
  before(async () => {
    sut = await start();
    token = await tokenFor(sut);
  });
  after(() => sut.close());

  it('expires every token on demand', async () => {
    const fresh = await tokenFor(sut);
    sut.control.expireAllTokens();
    assert.equal((await upsert(sut, fresh, { records: [lead('L-exp')] })).status, 401);
    token = await tokenFor(sut);
    assert.equal((await upsert(sut, token, { records: [lead('L-exp')] })).status, 200);
  });

  it('answers 403 REQUEST_LIMIT_EXCEEDED (concurrency) for the time asked, counting no violation', async () => {
    const before = sut.violations().length;
    sut.control.throttle(300);
    const during = await upsert(sut, token, { records: [lead('L-burst')] });
    assert.equal(during.status, 403);
    const [error] = during.body as { errorCode: string; message: string }[];
    assert.equal(error?.errorCode, 'REQUEST_LIMIT_EXCEEDED');
    assert.match(error?.message ?? '', /concurrent/);
    assert.equal(sut.records()['Lead']?.['L-burst'], undefined, 'nothing written in the burst');
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal((await upsert(sut, token, { records: [lead('L-burst')] })).status, 200);
    assert.equal(sut.violations().length, before, 'a burst the fake chose is no violation');
  });

  it('answers 5xx to the next N requests, then recovers', async () => {
    sut.control.failNext(2, 503);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await upsert(sut, token, { records: [lead('L-storm')] })).status);
    }
    assert.deepEqual(statuses, [503, 503, 200]);
  });

  it('fails a seeded fraction of requests, the same ones on every run', async () => {
    const run = async () => {
      sut.control.failRandomly(0.3, { seed: 42 });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 40; attempt += 1) {
        statuses.push((await upsert(sut, token, { records: [lead('L-random')] })).status);
      }
      sut.control.heal();
      return statuses;
    };
    const first = await run();
    const failures = first.filter((status) => status === 503).length;
    assert.ok(failures > 0 && failures < 40, `${failures} failures`);
    assert.deepEqual(await run(), first);
  });

  it('slows answers by the configured delay', async () => {
    sut.control.slow(200);
    const started = Date.now();
    await upsert(sut, token, { records: [lead('L-slow')] });
    sut.control.heal();
    assert.ok(Date.now() - started >= 190);
  });

  it('fails chosen records with the chosen status code, the given number of times', async () => {
    sut.control.failRecords({ 'L-locked': { statusCode: 'UNABLE_TO_LOCK_ROW', times: 1 } });
    const first = await upsert(sut, token, { records: [lead('L-locked'), lead('L-free')] });
    const second = await upsert(sut, token, { records: [lead('L-locked')] });
    const [locked, free] = first.body as { success: boolean; errors: { statusCode: string }[] }[];
    assert.equal(locked?.errors[0]?.statusCode, 'UNABLE_TO_LOCK_ROW');
    assert.equal(free?.success, true);
    assert.equal((second.body as { success: boolean }[])[0]?.success, true);
  });

  it('resets connections during an outage and answers again after it', async () => {
    await sut.control.outage(true);
    await assert.rejects(upsert(sut, token, { records: [lead('L-out')] }));
    await sut.control.outage(false);
    assert.equal((await upsert(sut, token, { records: [lead('L-out')] })).status, 200);
  });

  it('refuses connections during a refused-mode outage and listens again on the same port after it', async () => {
    await sut.control.outage(true, 'refused');
    await assert.rejects(upsert(sut, token, { records: [lead('L-refused')] }), (error: Error) => {
      const cause = (error as { cause?: { code?: string } }).cause;
      assert.equal(cause?.code, 'ECONNREFUSED');
      return true;
    });
    await sut.control.outage(false);
    assert.equal((await upsert(sut, token, { records: [lead('L-refused')] })).status, 200);
  });
});
