import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HubSpotClient, type HubSpotTask } from '@lead-router/crm-clients';
import { nextMidnight } from '@lead-router/crm';
import { startFakeHubSpot, type FakeHubSpot } from '@lead-router/crm-fakes';
import type { LeadVerdict } from '@lead-router/delivery';
import { type HubSpotDestination, destinationSchema } from '@lead-router/routing';
import type { RoutedLead } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';

const TOKEN = 'pat-int-spec';
const NOW = Date.UTC(2026, 10, 25, 15, 0, 0);

function lead(n: number): RoutedLead {
  return routedLeadFixture({
    lead: {
      lead_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      email: `lead${n}@example.com`,
    },
    destinations: [
      destinationFixture({ id: 'hub', type: 'hubspot', url: null, owner_id: `${7000 + n}` }),
    ],
  });
}

function tasks(fake: FakeHubSpot, leads: RoutedLead[], extra: object = {}): HubSpotTask[] {
  const config = destinationSchema.parse({
    type: 'hubspot',
    base_url: fake.url,
    token: { env: 'HUBSPOT_INT_TOKEN' },
    account_time_zone: 'America/New_York',
    ...extra,
  }) as HubSpotDestination;
  return leads.map((l) => ({ lead: l, destination: l.destinations[0]!, config }));
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => lead(from + i));

function kinds(verdicts: LeadVerdict[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of verdicts) out[v.verdict.kind] = (out[v.verdict.kind] ?? 0) + 1;
  return out;
}

describe('HubSpotClient against the fake HubSpot', () => {
  const sut = new HubSpotClient({
    requestTimeoutMs: 5_000,
    credentials: { env: { HUBSPOT_INT_TOKEN: TOKEN } },
    now: () => NOW,
  });
  const fakes: FakeHubSpot[] = [];
  const fake = async (options: Parameters<typeof startFakeHubSpot>[0] = {}) => {
    const f = await startFakeHubSpot({ tokens: [TOKEN], ...options });
    fakes.push(f);
    return f;
  };
  const send = (t: HubSpotTask[]) => sut.send(t, AbortSignal.timeout(10_000));
  after(async () => {
    await sut.close();
    await Promise.all(fakes.map((f) => f.close()));
  });

  describe('a well-behaved client', () => {
    let hub: FakeHubSpot;
    before(async () => {
      hub = await fake({ ownerIds: range(0, 200).map((l) => l.destinations[0]!.owner_id!) });
    });

    it('lands a batch as contacts with their owners', async () => {
      const first = await send(tasks(hub, range(0, 100)));
      const second = await send(tasks(hub, range(100, 150)));
      const verdicts = [...first, ...second];
      assert.deepEqual(kinds(verdicts), { delivered: 150 });
      const contacts = hub.records();
      assert.equal(Object.keys(contacts).length, 150);
      for (const l of range(0, 150)) {
        const contact = contacts[l.lead.email!];
        assert.ok(contact, `${l.lead.email} is a contact`);
        assert.equal(contact.hubspot_owner_id, l.destinations[0]!.owner_id);
        assert.equal(contact.properties['firstname'], l.lead.first_name);
        const verdict = verdicts.find((v) => v.leadId === l.lead.lead_id)!.verdict;
        assert.deepEqual(verdict, { kind: 'delivered', crmId: contact.id, created: true });
      }
    });

    it('updates on a second delivery, never duplicates', async () => {
      const before = hub.records();
      const verdicts = await send(tasks(hub, range(0, 100)));
      assert.deepEqual(kinds(verdicts), { delivered: 100 });
      assert.ok(verdicts.every((v) => v.verdict.kind === 'delivered' && !v.verdict.created));
      const contacts = hub.records();
      assert.equal(Object.keys(contacts).length, 150);
      for (const l of range(0, 100)) {
        const email = l.lead.email!;
        assert.equal(contacts[email]!.id, before[email]!.id);
        assert.equal(contacts[email]!.writes, 2);
      }
    });

    it('reads a 207 per input: one lead refused, one to retry, the rest delivered', async () => {
      hub.control.failInputs({
        'lead151@example.com': { category: 'VALIDATION_ERROR', message: 'bad value' },
        'lead152@example.com': { category: 'RATE_LIMITS', times: 1 },
      });
      const leads = range(150, 160);
      const verdicts = await send(tasks(hub, leads));
      hub.control.heal();
      assert.equal(hub.requests().at(-1)?.status, 207);
      const by = new Map(verdicts.map((v) => [v.leadId, v.verdict]));
      assert.deepEqual(by.get(leads[1]!.lead.lead_id), {
        kind: 'permanent',
        code: 'VALIDATION_ERROR',
        message: 'bad value; bad value',
      });
      assert.equal(by.get(leads[2]!.lead.lead_id)?.kind, 'retry');
      assert.deepEqual(kinds(verdicts), { delivered: 8, permanent: 1, retry: 1 });
      assert.equal(hub.records()['lead151@example.com'], undefined);
      assert.equal(hub.records()['lead150@example.com']?.hubspot_owner_id, '7150');
    });

    it('left the fake with zero violations', () => {
      assert.deepEqual(hub.violations(), []);
    });
  });

  it('answers a 429 TEN_SECONDLY_ROLLING with a retry after the window', async () => {
    const hub = await fake({ tenSecondlyLimit: 1, intervalMs: 10_000 });
    assert.deepEqual(kinds(await send(tasks(hub, range(0, 5)))), { delivered: 5 });
    const verdicts = await send(tasks(hub, range(5, 10)));
    assert.equal(hub.requests().at(-1)?.status, 429);
    assert.equal(verdicts.length, 5);
    for (const v of verdicts) {
      assert.equal(v.verdict.kind, 'retry');
      assert.equal(v.verdict.kind === 'retry' && v.verdict.retryAfterMs, 10_000);
      assert.match(v.verdict.kind === 'retry' ? v.verdict.reason : '', /TEN_SECONDLY_ROLLING/);
    }
  });

  it('answers a 429 DAILY with a wait for quota until midnight in the account time zone', async () => {
    // the account's clock stands still: a UTC midnight between the two sends would renew the quota
    const hub = await fake({ dailyLimit: 1, now: () => NOW });
    await send(tasks(hub, range(0, 5)));
    const verdicts = await send(tasks(hub, range(5, 10)));
    assert.equal(hub.requests().at(-1)?.status, 429);
    const until = nextMidnight(NOW, 'America/New_York');
    assert.equal(until, Date.UTC(2026, 10, 26, 5, 0, 0));
    for (const v of verdicts) {
      assert.equal(v.verdict.kind, 'wait_for_quota');
      assert.equal(v.verdict.kind === 'wait_for_quota' && v.verdict.until, until);
    }
  });

  it('stops the destination on a wrong token (401)', async () => {
    const hub = await fake({ tokens: ['pat-another-token'] });
    const verdicts = await send(tasks(hub, range(0, 3)));
    assert.equal(hub.requests().at(-1)?.status, 401);
    assert.deepEqual(kinds(verdicts), { stop: 3 });
    assert.equal(Object.keys(hub.records()).length, 0);
  });
});
