import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { RulesRegistry } from './rules.registry';
import { SERVED, compiledRules, published, silentLogger } from './routing-runtime.fixture';

const setup = () =>
  new RulesRegistry(compiledRules('1'), { logger: silentLogger(), servedDestinationTypes: SERVED });

describe('RulesRegistry', () => {
  it('routes new leads by a newer version of the active rule set once it is published', () => {
    const sut = setup();
    sut.accept(published('2'));
    assert.equal(sut.current.version, '2');
  });

  it('keeps every version it saw, for leads matched under an older one', async () => {
    const sut = setup();
    sut.accept(published('2'));
    assert.equal((await sut.version('t', '1', 0))?.version, '1');
    assert.equal((await sut.version('t', '2', 0))?.version, '2');
  });

  it('learns the versions of another rule set without routing by it', async () => {
    const sut = setup();
    sut.accept({ ...published('7'), yaml: published('7').yaml.replace('id: t', 'id: other') });
    assert.equal(sut.current.id, 't');
    assert.equal((await sut.version('other', '7', 0))?.id, 'other');
  });

  it('ignores a published rule set that does not validate', () => {
    const sut = setup();
    sut.accept({ ...published('2'), yaml: 'id: t\nversion: "2"\nqueues: [' });
    assert.equal(sut.current.version, '1');
  });

  it('refuses a published version routing to a type no sink serves and keeps routing by the one before', async () => {
    const sut = setup();
    sut.accept(published('2'));
    const toSalesforce = published('3').yaml.replace(
      'crm: { type: webhook, url: "https://crm.example.com/leads" }',
      'crm: { type: salesforce }',
    );
    assert.notEqual(toSalesforce, published('3').yaml);
    sut.accept({ ...published('3'), yaml: toSalesforce });
    assert.equal(sut.current.version, '2');
    assert.equal(await sut.version('t', '3', 0), null);
  });

  it('hands over a version that arrives while a lead waits for it, without waiting out a poll', async () => {
    // The clock stands still: only the hand-over itself can wake the waiting lead.
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    try {
      const sut = setup();
      const waiting = sut.version('t', '2', 5_000);
      sut.accept(published('2'));
      const first = await Promise.race([
        waiting,
        new Promise<'still waiting'>((resolve) => setImmediate(() => resolve('still waiting'))),
      ]);
      if (first === 'still waiting') assert.fail('the hand-over did not wake the waiting lead');
      assert.equal(first?.version, '2');
    } finally {
      mock.timers.reset();
    }
  });

  it('gives null when the version does not arrive in time', async () => {
    const sut = new RulesRegistry(compiledRules('1'), {
      logger: silentLogger(),
      servedDestinationTypes: SERVED,
      versionTimeoutMs: 30,
    });
    assert.equal(await sut.version('t', '9'), null);
  });
});
