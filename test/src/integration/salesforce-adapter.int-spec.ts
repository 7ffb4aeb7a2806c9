import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { type FakeSalesforce, startFakeSalesforce } from '@lead-router/crm-fakes';
import {
  SalesforceAdapter,
  type SalesforceAdapterOptions,
  type SalesforceTask,
} from '@lead-router/crm-clients';
import type { LeadVerdict } from '@lead-router/delivery';
import { type SalesforceDestination, destinationSchema } from '@lead-router/routing';
import type { NormalizedLead } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';

// The adapter against the fake Salesforce, which enforces the documented contract (token flows,
// sObject Collections body rules, limits) and counts every breach: no broker involved.

const CLIENT_ID = 'fake-consumer-key';
const CLIENT_SECRET = 'fake-consumer-secret';
const USERNAME = 'integration@lead-router.example';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_KEY_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

// Credential references resolve against the process environment, as in the sink.
const env = `SF_INT_${randomUUID().slice(0, 8).toUpperCase()}`;
process.env[`${env}_ID`] = CLIENT_ID;
process.env[`${env}_SECRET`] = CLIENT_SECRET;
process.env[`${env}_WRONG_SECRET`] = 'not-the-secret';
process.env[`${env}_KEY`] = PRIVATE_KEY_PEM;

type Flow = 'client_credentials' | 'jwt_bearer';

function destinationConfig(
  fake: FakeSalesforce,
  flow: Flow,
  overrides: Record<string, unknown> = {},
): SalesforceDestination {
  const auth =
    flow === 'client_credentials'
      ? {
          flow,
          client_id: { env: `${env}_ID` },
          client_secret: { env: `${env}_SECRET` },
        }
      : {
          flow,
          client_id: { env: `${env}_ID` },
          username: USERNAME,
          private_key: { env: `${env}_KEY` },
        };
  const parsed = destinationSchema.parse({
    type: 'salesforce',
    login_url: fake.url,
    auth,
    external_id_field: 'Lead_Id__c',
    ...overrides,
  });
  assert.equal(parsed.type, 'salesforce');
  return parsed as SalesforceDestination;
}

/** A lead routed to destination `sf`, with a Salesforce user id as the owner the router chose. */
function task(config: SalesforceDestination, n: number, lead: Partial<NormalizedLead> = {}) {
  const ownerId = `005${String(n).padStart(12, '0')}`;
  const leadId = randomUUID();
  return {
    leadId,
    ownerId,
    task: {
      lead: routedLeadFixture({
        lead: { lead_id: leadId, last_name: `Lovelace ${n}`, ...lead },
        destinations: [
          destinationFixture({ id: 'sf', type: 'salesforce', url: null, owner_id: ownerId }),
        ],
      }),
      destination: destinationFixture({
        id: 'sf',
        type: 'salesforce',
        url: null,
        owner_id: ownerId,
      }),
      config,
    } satisfies SalesforceTask,
  };
}

function tasks(config: SalesforceDestination, count: number, from = 0) {
  return Array.from({ length: count }, (_, i) => task(config, from + i));
}

const tokenRequests = (fake: FakeSalesforce) =>
  fake.requests().filter((r) => r.path === '/services/oauth2/token').length;

const kinds = (verdicts: LeadVerdict[]) => [...new Set(verdicts.map((v) => v.verdict.kind))];

async function withFake(
  options: Parameters<typeof startFakeSalesforce>[0],
  body: (fake: FakeSalesforce, sut: SalesforceAdapter) => Promise<void>,
  adapterOptions: Partial<SalesforceAdapterOptions> = {},
) {
  const fake = await startFakeSalesforce({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    jwt: { username: USERNAME, publicKey: PUBLIC_KEY_PEM },
    ...options,
  });
  const sut = new SalesforceAdapter({ requestTimeoutMs: 10_000, ...adapterOptions });
  try {
    await body(fake, sut);
  } finally {
    await sut.close();
    await fake.close();
  }
}

const signal = () => AbortSignal.timeout(30_000);

describe('SalesforceAdapter against the fake Salesforce', () => {
  for (const flow of ['client_credentials', 'jwt_bearer'] as const) {
    it(`${flow}: a batch lands as Leads with their OwnerIds by external id; a second delivery updates, never duplicates`, async () => {
      await withFake({}, async (fake, sut) => {
        const config = destinationConfig(fake, flow);
        const batch = tasks(config, 200);

        const first = await sut.send(
          batch.map((b) => b.task),
          signal(),
        );
        assert.deepEqual(kinds(first), ['delivered']);
        assert.equal(first.length, 200);
        const leads = fake.records()['Lead'] ?? {};
        assert.equal(Object.keys(leads).length, 200);
        for (const b of batch) {
          assert.equal(leads[b.leadId]?.OwnerId, b.ownerId);
          assert.equal(leads[b.leadId]?.writes, 1);
        }
        const crmIds = new Map(
          first.map((v) => [v.leadId, v.verdict.kind === 'delivered' ? v.verdict.crmId : null]),
        );
        assert.ok(first.every((v) => v.verdict.kind === 'delivered' && v.verdict.created === true));

        const second = await sut.send(
          batch.map((b) => b.task),
          signal(),
        );
        assert.ok(
          second.every(
            (v) =>
              v.verdict.kind === 'delivered' &&
              v.verdict.created === false &&
              v.verdict.crmId === crmIds.get(v.leadId),
          ),
        );
        const after = fake.records()['Lead'] ?? {};
        assert.equal(Object.keys(after).length, 200);
        assert.ok(batch.every((b) => after[b.leadId]?.writes === 2));
        assert.equal(tokenRequests(fake), 1);
        assert.deepEqual(fake.violations(), []);
        assert.deepEqual(sut.apiUsage('sf'), { used: 2, allocation: 100_000 });
      });
    });
  }

  for (const flow of ['client_credentials', 'jwt_bearer'] as const) {
    it(`${flow}: expired tokens are minted once for many concurrent batches, each replayed once`, async () => {
      await withFake({}, async (fake, sut) => {
        const config = destinationConfig(fake, flow);
        await sut.send(
          tasks(config, 1).map((b) => b.task),
          signal(),
        );
        assert.equal(tokenRequests(fake), 1);

        fake.control.expireAllTokens();
        // Answers take a while, so all twenty batches hold the expired token at once.
        fake.control.slow(50);
        const batches = Array.from({ length: 20 }, (_, i) => tasks(config, 10, 1000 + i * 10));
        const results = await Promise.all(
          batches.map((batch) =>
            sut.send(
              batch.map((b) => b.task),
              signal(),
            ),
          ),
        );

        assert.deepEqual(kinds(results.flat()), ['delivered']);
        assert.equal(tokenRequests(fake), 2, 'one token request for all the concurrent batches');
        const upserts = fake.requests().filter((r) => r.path.startsWith('/services/data/'));
        assert.equal(upserts.filter((r) => r.status === 401).length, 20);
        assert.equal(upserts.filter((r) => r.status === 200).length, 1 + 20);
        assert.equal(Object.keys(fake.records()['Lead'] ?? {}).length, 1 + 200);
      });
    });
  }

  it('a client whose sessions are refused even when new gets stop with an alert after one replay', async () => {
    // sessionTimeoutMs < 0: every token the fake issues is already expired, as for a revoked app.
    const stopped: string[] = [];
    await withFake(
      { sessionTimeoutMs: -1 },
      async (fake, sut) => {
        const config = destinationConfig(fake, 'client_credentials');
        const verdicts = await sut.send(
          tasks(config, 3).map((b) => b.task),
          signal(),
        );
        assert.deepEqual(kinds(verdicts), ['stop']);
        assert.match(
          verdicts[0]!.verdict.kind === 'stop' ? verdicts[0]!.verdict.alert : '',
          /refused a newly minted client_credentials token for destination sf .*INVALID_SESSION_ID/,
        );
        assert.equal(stopped.length, 1);
        const upserts = fake.requests().filter((r) => r.path.startsWith('/services/data/'));
        assert.deepEqual(
          upserts.map((r) => r.status),
          [401, 401],
          'the batch was sent once and replayed once',
        );
        assert.equal(tokenRequests(fake), 2);
      },
      { onStop: (destination, alert) => stopped.push(`${destination}: ${alert}`) },
    );
  });

  it('a revoked client secret gives stop with the token endpoint’s answer, after one new token request', async () => {
    await withFake({}, async (fake, sut) => {
      const config = destinationConfig(fake, 'client_credentials', {
        auth: {
          flow: 'client_credentials',
          client_id: { env: `${env}_ID` },
          client_secret: { env: `${env}_WRONG_SECRET` },
        },
      });
      const verdicts = await sut.send(
        tasks(config, 2).map((b) => b.task),
        signal(),
      );
      assert.deepEqual(kinds(verdicts), ['stop']);
      assert.match(
        verdicts[0]!.verdict.kind === 'stop' ? verdicts[0]!.verdict.alert : '',
        /refused the client_credentials token request \(invalid_client/,
      );
      assert.equal(tokenRequests(fake), 1);
      assert.equal(fake.requests().filter((r) => r.path.startsWith('/services/data/')).length, 0);
    });
  });

  it('per-record UNABLE_TO_LOCK_ROW is retried, REQUIRED_FIELD_MISSING is permanent with Salesforce’s message', async () => {
    await withFake({}, async (fake, sut) => {
      const config = destinationConfig(fake, 'client_credentials', {
        mapping: { LastName: 'lead.last_name', Company: 'lead.company' },
      });
      const good = task(config, 1);
      const locked = task(config, 2);
      const incomplete = task(config, 3, { last_name: null });
      fake.control.failRecords({
        [locked.leadId]: {
          statusCode: 'UNABLE_TO_LOCK_ROW',
          message: 'unable to obtain exclusive access to this record',
          times: 1,
        },
      });

      const verdicts = await sut.send([good.task, locked.task, incomplete.task], signal());
      const byLead = new Map(verdicts.map((v) => [v.leadId, v.verdict]));

      assert.equal(byLead.get(good.leadId)?.kind, 'delivered');
      assert.deepEqual(byLead.get(locked.leadId), {
        kind: 'retry',
        reason: 'UNABLE_TO_LOCK_ROW: unable to obtain exclusive access to this record',
      });
      assert.deepEqual(byLead.get(incomplete.leadId), {
        kind: 'permanent',
        code: 'REQUIRED_FIELD_MISSING',
        message: 'REQUIRED_FIELD_MISSING: required fields are missing: LastName',
      });
      const leads = fake.records()['Lead'] ?? {};
      assert.deepEqual(Object.keys(leads), [good.leadId]);

      const retried = await sut.send([locked.task], signal());
      assert.equal(retried[0]?.verdict.kind, 'delivered');
      assert.equal(fake.records()['Lead']?.[locked.leadId]?.OwnerId, locked.ownerId);
      assert.deepEqual(fake.violations(), []);
    });
  });

  it('an answer that spends the daily allocation holds the next batch back as wait_for_quota, without a request', async () => {
    await withFake({ dailyAllocation: 1_000, apiUsage: 999 }, async (fake, sut) => {
      const config = destinationConfig(fake, 'client_credentials');
      const first = await sut.send(
        tasks(config, 2).map((b) => b.task),
        signal(),
      );
      assert.deepEqual(kinds(first), ['delivered']);
      assert.deepEqual(sut.apiUsage('sf'), { used: 1_000, allocation: 1_000 });

      const second = await sut.send(
        tasks(config, 2, 10).map((b) => b.task),
        signal(),
      );
      assert.deepEqual(kinds(second), ['wait_for_quota']);
      assert.equal(fake.requests().filter((r) => r.path.startsWith('/services/data/')).length, 1);
      assert.deepEqual(fake.violations(), []);
    });
  });

  it('403 REQUEST_LIMIT_EXCEEDED with the daily allocation spent elsewhere gives wait_for_quota', async () => {
    await withFake({ dailyAllocation: 1_000 }, async (fake, sut) => {
      const config = destinationConfig(fake, 'client_credentials');
      await sut.send(
        tasks(config, 1).map((b) => b.task),
        signal(),
      );
      // Another integration of the same org spends the rest of the allocation.
      fake.control.setApiUsage(1_000);

      const verdicts = await sut.send(
        tasks(config, 2, 10).map((b) => b.task),
        signal(),
      );
      assert.deepEqual(kinds(verdicts), ['wait_for_quota']);
      assert.match(
        verdicts[0]!.verdict.kind === 'wait_for_quota' ? verdicts[0]!.verdict.reason : '',
        /REQUEST_LIMIT_EXCEEDED.*api-usage 1000\/1000/,
      );
      assert.deepEqual(sut.apiUsage('sf'), { used: 1_000, allocation: 1_000 });
    });
  });

  it('a 5xx is retried and a slow answer is cut by the request timeout', async () => {
    await withFake(
      {},
      async (fake, sut) => {
        const config = destinationConfig(fake, 'client_credentials');
        fake.control.failNext(1, 503);
        const failed = await sut.send(
          tasks(config, 2).map((b) => b.task),
          signal(),
        );
        assert.deepEqual(kinds(failed), ['retry']);

        fake.control.slow(5_000);
        await assert.rejects(
          sut.send(
            tasks(config, 2, 10).map((b) => b.task),
            signal(),
          ),
          (error: Error) => /timeout|abort/i.test(`${error.name} ${error.message}`),
        );
        assert.deepEqual(fake.violations(), []);
      },
      // Room for a loaded machine's token call and 503, well short of the slow answer's 5 s.
      { requestTimeoutMs: 1_500 },
    );
  });

  after(() => {
    for (const suffix of ['_ID', '_SECRET', '_WRONG_SECRET', '_KEY']) {
      delete process.env[`${env}${suffix}`];
    }
  });
});
