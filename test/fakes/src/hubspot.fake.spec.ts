import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeHubSpot, type FakeHubSpot, type FakeHubSpotOptions } from './hubspot.fake';

const token = 'pat-na1-fake-0001';
const path = '/crm/v3/objects/contacts/batch/upsert';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function start(options: FakeHubSpotOptions = {}): Promise<FakeHubSpot> {
  return startFakeHubSpot({ tokens: [token], ...options });
}

/** `bearer: null` sends no Authorization header. */
async function post(
  sut: FakeHubSpot,
  body: unknown,
  bearer: string | null = token,
): Promise<Answer> {
  const response = await fetch(`${sut.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    headers: response.headers,
  };
}

function contact(
  email: string,
  properties: Record<string, unknown> = {},
  trace?: string,
): Record<string, unknown> {
  return {
    id: email,
    idProperty: 'email',
    properties: {
      firstname: 'Ada',
      lastname: 'Okafor',
      company: 'Example Works',
      hubspot_owner_id: '7001',
      ...properties,
    },
    ...(trace ? { objectWriteTraceId: trace } : {}),
  };
}

function rules(sut: FakeHubSpot): string[] {
  return sut.violations().map((violation) => violation.rule);
}

describe('fake HubSpot: contacts batch upsert', () => {
  let sut: FakeHubSpot;
  before(async () => {
    sut = await start();
  });
  after(() => sut.close());

  it('writes a well-behaved batch: 200, one result per input, contacts listed by email with their owner', async () => {
    const answer = await post(sut, {
      inputs: [contact('ada@example.test'), contact('lin@example.test')],
    });
    assert.equal(answer.status, 200);
    const results = answer.body.results as Record<string, unknown>[];
    assert.equal(results.length, 2);
    for (const result of results) {
      for (const field of ['id', 'createdAt', 'updatedAt'])
        assert.equal(typeof result[field], 'string', field);
      assert.equal(result.archived, false);
      assert.equal(result.new, true);
      assert.equal(typeof result.properties, 'object');
    }
    const stored = sut.records();
    assert.equal(stored['ada@example.test']?.hubspot_owner_id, '7001');
    assert.equal(stored['lin@example.test']?.properties.company, 'Example Works');
    assert.equal(sut.violations().length, 0);
  });

  it('keeps one contact when the same email is upserted twice, whatever its case', async () => {
    const first = await post(sut, { inputs: [contact('twice@example.test')] });
    const second = await post(sut, {
      inputs: [contact('Twice@Example.test', { hubspot_owner_id: '7002' })],
    });
    const [created] = first.body.results as { id: string; new: boolean }[];
    const [updated] = second.body.results as { id: string; new: boolean }[];
    assert.equal(created?.new, true);
    assert.equal(updated?.new, false);
    assert.equal(updated?.id, created?.id);
    const matching = Object.values(sut.records()).filter((record) => record.id === created?.id);
    assert.equal(matching.length, 1);
    assert.equal(matching[0]?.writes, 2);
    assert.equal(matching[0]?.hubspot_owner_id, '7002');
  });

  it('sends the daily and ten-second rate-limit headers on every answer', async () => {
    const answer = await post(sut, { inputs: [contact('headers@example.test')] });
    assert.equal(answer.headers.get('x-hubspot-ratelimit-daily'), '250000');
    assert.match(answer.headers.get('x-hubspot-ratelimit-daily-remaining') ?? '', /^\d+$/);
    assert.equal(answer.headers.get('x-hubspot-ratelimit-interval-milliseconds'), '10000');
    assert.equal(answer.headers.get('x-hubspot-ratelimit-max'), '100');
    assert.match(answer.headers.get('x-hubspot-ratelimit-remaining') ?? '', /^\d+$/);
  });

  it('answers 401 INVALID_AUTHENTICATION to a missing or unknown token and counts it', async () => {
    for (const bearer of [null, 'pat-na1-revoked']) {
      const before = sut.violations().length;
      const answer = await post(sut, { inputs: [contact('intruder@example.test')] }, bearer);
      assert.equal(answer.status, 401);
      assert.equal(answer.body.status, 'error');
      assert.equal(answer.body.category, 'INVALID_AUTHENTICATION');
      assert.equal(typeof answer.body.message, 'string');
      assert.equal(typeof answer.body.correlationId, 'string');
      assert.equal(sut.violations().length, before + 1);
      assert.equal(sut.violations().at(-1)?.rule, 'invalid-authentication');
    }
    assert.equal(sut.records()['intruder@example.test'], undefined);
  });

  it('refuses 101 inputs with 400 VALIDATION_ERROR and writes none; 100 pass', async () => {
    const inputs = Array.from({ length: 101 }, (_, index) => contact(`bulk${index}@example.test`));
    const answer = await post(sut, { inputs });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.category, 'VALIDATION_ERROR');
    assert.equal(sut.violations().at(-1)?.rule, 'batch-too-large');
    assert.equal(sut.records()['bulk0@example.test'], undefined);
    assert.equal((await post(sut, { inputs: inputs.slice(0, 100) })).status, 200);
  });

  it('refuses a batch whose property values are not all strings', async () => {
    const answer = await post(sut, {
      inputs: [
        contact('typed@example.test'),
        contact('numbers@example.test', { hubspot_owner_id: 7001 }),
      ],
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.category, 'VALIDATION_ERROR');
    assert.equal(sut.violations().at(-1)?.rule, 'non-string-property');
    assert.equal(sut.records()['typed@example.test'], undefined);
  });

  it('refuses an idProperty that is missing or not a unique property', async () => {
    for (const idProperty of [undefined, 'firstname']) {
      const input = { ...contact('id-prop@example.test'), idProperty };
      const answer = await post(sut, { inputs: [input] });
      assert.equal(answer.status, 400);
      assert.equal(sut.violations().at(-1)?.rule, 'bad-id-property');
    }
  });

  it('refuses the same id twice in one batch and a body without inputs', async () => {
    const duplicate = await post(sut, {
      inputs: [contact('dup@example.test'), contact('DUP@example.test')],
    });
    assert.equal(duplicate.status, 400);
    assert.equal(sut.violations().at(-1)?.rule, 'duplicate-id');
    for (const body of ['{"inputs": [', { records: [] }]) {
      const answer = await post(sut, body);
      assert.equal(answer.status, 400);
      assert.equal(sut.violations().at(-1)?.rule, 'malformed-body');
    }
  });

  it('answers 207 multi-status for an unknown property: the error correlated by objectWriteTraceId, the rest written', async () => {
    const answer = await post(sut, {
      inputs: [
        contact('good@example.test', {}, 'trace-good'),
        contact('odd@example.test', { favourite_colour: 'teal' }, 'trace-odd'),
      ],
    });
    assert.equal(answer.status, 207);
    assert.equal(answer.body.numErrors, 1);
    const [failure] = answer.body.errors as {
      category: string;
      context: Record<string, string[]>;
    }[];
    assert.equal(failure?.category, 'VALIDATION_ERROR');
    assert.deepEqual(failure?.context.objectWriteTraceId, ['trace-odd']);
    const results = answer.body.results as { objectWriteTraceId: string }[];
    assert.deepEqual(
      results.map((result) => result.objectWriteTraceId),
      ['trace-good'],
    );
    assert.ok(sut.records()['good@example.test']);
    assert.equal(sut.records()['odd@example.test'], undefined);
    assert.equal(sut.violations().at(-1)?.rule, 'unknown-property');
  });

  it('lists what it holds on GET /_fake/contacts', async () => {
    const response = await fetch(`${sut.url}/_fake/contacts`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), sut.records());
  });
});

describe('fake HubSpot: rate limits', () => {
  it('answers 429 TEN_SECONDLY_ROLLING past the window, per token, and counts each request past it', async () => {
    const other = 'pat-na1-fake-0002';
    const sut = await start({ tokens: [token, other], tenSecondlyLimit: 3, intervalMs: 400 });
    try {
      const statuses: number[] = [];
      let last: Answer | undefined;
      for (let attempt = 0; attempt < 5; attempt += 1) {
        last = await post(sut, { inputs: [contact(`burst${attempt}@example.test`)] });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
      assert.equal(last?.body.status, 'error');
      assert.equal(last?.body.errorType, 'RATE_LIMIT');
      assert.equal(last?.body.policyName, 'TEN_SECONDLY_ROLLING');
      for (const field of ['message', 'correlationId', 'requestId']) {
        assert.equal(typeof last?.body[field], 'string', field);
      }
      assert.equal(last?.headers.get('x-hubspot-ratelimit-remaining'), '0');
      assert.equal(last?.headers.get('x-hubspot-ratelimit-max'), '3');
      assert.deepEqual(rules(sut), ['rate-limit-ten-secondly', 'rate-limit-ten-secondly']);
      assert.equal(sut.records()['burst3@example.test'], undefined);
      assert.equal(
        (await post(sut, { inputs: [contact('other@example.test')] }, other)).status,
        200,
      );
      await new Promise((resolve) => setTimeout(resolve, 450));
      assert.equal((await post(sut, { inputs: [contact('later@example.test')] })).status, 200);
    } finally {
      await sut.close();
    }
  });

  it('answers 429 DAILY once the daily limit is spent, until the limits are reset or the day ends', async () => {
    // the account's clock, a second before a UTC midnight, moved by the spec alone
    let now = Date.UTC(2026, 10, 25, 23, 59, 59);
    const sut = await start({ dailyLimit: 2, now: () => now });
    try {
      const statuses: number[] = [];
      let last: Answer | undefined;
      for (let attempt = 0; attempt < 3; attempt += 1) {
        last = await post(sut, { inputs: [contact(`day${attempt}@example.test`)] });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.equal(last?.body.policyName, 'DAILY');
      assert.equal(last?.headers.get('x-hubspot-ratelimit-daily-remaining'), '0');
      assert.deepEqual(rules(sut), ['rate-limit-daily']);
      sut.control.resetLimits();
      const again: number[] = [];
      for (const n of [3, 4, 5])
        again.push((await post(sut, { inputs: [contact(`day${n}@example.test`)] })).status);
      assert.deepEqual(again, [200, 200, 429]);
      now += 1_000;
      const nextDay = await post(sut, { inputs: [contact('day6@example.test')] });
      assert.equal(nextDay.status, 200);
      assert.equal(nextDay.headers.get('x-hubspot-ratelimit-daily-remaining'), '1');
    } finally {
      await sut.close();
    }
  });
});

describe('fake HubSpot: controls', () => {
  let sut: FakeHubSpot;
  before(async () => {
    sut = await start();
  });
  after(() => sut.close());

  it('answers 5xx to the next N requests, then recovers', async () => {
    sut.control.failNext(2, 502);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await post(sut, { inputs: [contact('storm@example.test')] })).status);
    }
    assert.deepEqual(statuses, [502, 502, 200]);
  });

  it('fails a seeded fraction of requests, the same ones on every run', async () => {
    const run = async () => {
      sut.control.resetLimits();
      sut.control.failRandomly(0.25, { seed: 7 });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 40; attempt += 1) {
        statuses.push((await post(sut, { inputs: [contact('random@example.test')] })).status);
      }
      sut.control.heal();
      return statuses;
    };
    const first = await run();
    const failures = first.filter((status) => status === 503).length;
    assert.ok(failures > 0 && failures < 40, `${failures} failures`);
    assert.deepEqual(await run(), first);
  });

  it('answers a 429 burst of TEN_SECONDLY_ROLLING for the time asked, counting no violation', async () => {
    sut.control.resetLimits();
    const before = sut.violations().length;
    sut.control.throttle(300);
    const during = await post(sut, { inputs: [contact('burst@example.test')] });
    assert.equal(during.status, 429);
    assert.equal(during.body.policyName, 'TEN_SECONDLY_ROLLING');
    assert.equal(during.body.errorType, 'RATE_LIMIT');
    assert.equal(during.headers.get('x-hubspot-ratelimit-remaining'), '0');
    assert.equal(sut.records()['burst@example.test'], undefined, 'nothing written in the burst');
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal((await post(sut, { inputs: [contact('burst@example.test')] })).status, 200);
    assert.equal(sut.violations().length, before, 'a burst the fake chose is no violation');
  });

  it('slows answers by the configured delay', async () => {
    sut.control.slow(200);
    const started = Date.now();
    await post(sut, { inputs: [contact('slow@example.test')] });
    sut.control.heal();
    assert.ok(Date.now() - started >= 190);
  });

  it('fails chosen inputs the given number of times, answering 207 for them', async () => {
    sut.control.failInputs({ 'busy@example.test': { category: 'CONFLICT', times: 1 } });
    const first = await post(sut, {
      inputs: [contact('busy@example.test', {}, 't1'), contact('calm@example.test')],
    });
    assert.equal(first.status, 207);
    const [failure] = first.body.errors as {
      category: string;
      context: Record<string, string[]>;
    }[];
    assert.equal(failure?.category, 'CONFLICT');
    assert.deepEqual(failure?.context.id, ['busy@example.test']);
    assert.equal((await post(sut, { inputs: [contact('busy@example.test')] })).status, 200);
  });

  it('cuts connections during an outage and answers again after it', async () => {
    for (const mode of ['reset', 'refused'] as const) {
      await sut.control.outage(true, mode);
      await assert.rejects(post(sut, { inputs: [contact('outage@example.test')] }), mode);
      await sut.control.outage(false);
      assert.equal(
        (await post(sut, { inputs: [contact('outage@example.test')] })).status,
        200,
        mode,
      );
    }
  });
});
