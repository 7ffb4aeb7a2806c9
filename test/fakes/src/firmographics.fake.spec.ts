import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeFirmographics, type FakeFirmographics } from './firmographics.fake';

const key = 'sk_test_0001';

async function find(
  sut: FakeFirmographics,
  domain: string,
  bearer: string | null = key,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sut.url}/v2/companies/find?domain=${domain}`, {
    headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('fake firmographics provider: company by domain', () => {
  let sut: FakeFirmographics;
  before(async () => {
    sut = await startFakeFirmographics({ apiKeys: [key] });
  });
  after(() => sut.close());

  it('answers a known domain with the company, its industry, employees and revenue', async () => {
    const answer = await find(sut, 'Analytical-Engines.com');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.name, 'Analytical Engines');
    assert.deepEqual(answer.body.category, {
      industry: 'Software',
      sector: 'Information Technology',
    });
    const metrics = answer.body.metrics as Record<string, unknown>;
    assert.equal(metrics.employees, 1200);
    assert.equal(metrics.annualRevenue, 250_000_000);
  });

  it('answers 404 unknown_record for a domain it does not know', async () => {
    const answer = await find(sut, 'nobody-knows.test');
    assert.equal(answer.status, 404);
    assert.equal((answer.body.error as Record<string, unknown>).type, 'unknown_record');
  });

  it('refuses a request without the key or with another one, and does not count it', async () => {
    const before = sut.lookups().length;
    assert.equal((await find(sut, 'analytical-engines.com', null)).status, 401);
    assert.equal((await find(sut, 'analytical-engines.com', 'sk_other')).status, 401);
    assert.equal(sut.lookups().length, before);
  });

  it('fails the next lookups with a 5xx when told to, then answers again', async () => {
    sut.control.failNext(2, 502);
    assert.equal((await find(sut, 'analytical-engines.com')).status, 502);
    assert.equal((await find(sut, 'analytical-engines.com')).status, 502);
    assert.equal((await find(sut, 'analytical-engines.com')).status, 200);
  });

  it('answers only after the delay it is told to take', async () => {
    sut.control.slow(150);
    const started = performance.now();
    const answer = await find(sut, 'example-works.test');
    const took = performance.now() - started;
    await sut.control.heal();
    assert.equal(answer.status, 200);
    assert.ok(took >= 140, `answered after ${took.toFixed(0)} ms`);
  });

  it('is unreachable while down and answers again once healed', async () => {
    await sut.control.outage(true, 'refused');
    await assert.rejects(find(sut, 'example-works.test'));
    await sut.control.heal();
    assert.equal((await find(sut, 'example-works.test')).status, 200);
  });
});
