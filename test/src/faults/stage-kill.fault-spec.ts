import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startFakeFirmographics, type FakeFirmographics } from '@lead-router/crm-fakes';
import type { EnrichedLead, NormalizedLead } from '@lead-router/schemas';
import {
  normalizedLeadFixture,
  rawLeadFixture,
  readRaw,
  readTopic,
  type ServiceProcess,
} from '@lead-router/testing';
import { recordFault } from './fault-summary';
import {
  caughtUp,
  crashProof,
  deadLetters,
  killMidStream,
  recordsConsumed,
  stageUnderFault,
  tally,
  type StageUnderFault,
} from './fault.fixture';

/**
 * A stage SIGKILLed while it is proven to be mid-stream (its group's committed offset at the kill
 * strictly between 0 and what was produced), then started again: every lead reaches the stage's
 * output (counted by distinct lead id; the replay of uncommitted work may write a lead twice,
 * which is reported), nothing is dead-lettered, and the restarted process's own metrics show it
 * consumed at least the records left uncommitted.
 */
interface KillRun {
  sut: StageUnderFault;
  produced: number;
  committedAtKill: number;
  outputAtKill: number;
  restarted: ServiceProcess;
}

async function killAndRestart(
  sut: StageUnderFault,
  produced: number,
  outputTopic: string,
): Promise<KillRun> {
  const first = await sut.start();
  const committedAtKill = await killMidStream(first, () => sut.committed(), produced);
  const outputAtKill = (await readRaw(sut.kafka, outputTopic)).length;
  const restarted = await sut.start();
  await caughtUp(() => sut.committed(), produced, `the restarted ${sut.stage}`);
  return { sut, produced, committedAtKill, outputAtKill, restarted };
}

async function assertRestartWork(run: KillRun): Promise<number> {
  const consumed = await recordsConsumed(run.restarted, run.sut.input);
  assert.ok(
    consumed >= run.produced - run.committedAtKill,
    `the restarted ${run.sut.stage} consumed ${consumed} records, ` +
      `fewer than the ${run.produced - run.committedAtKill} left uncommitted at the kill`,
  );
  return consumed;
}

describe('the normalizer SIGKILLed mid-stream and restarted', () => {
  let sut: StageUnderFault | undefined;
  after(async () => {
    await sut?.close();
  });

  it('normalizes every lead, and the restarted normalizer did the uncommitted work', async () => {
    // Enough leads for a window of seconds: given 3,000, the normalizer once committed them all
    // within the 0.4 s between joining its group and the test's first poll (CI, 2026-12-03). One partition at a time: the six partitions' chunks are committed one after
    // the other, so the committed offset climbs in steps a poll can catch between the first and
    // the last.
    const total = 12_000;
    sut = await stageUnderFault('fault-normalizer', 'normalizer', {
      input: (topics) => topics.raw,
      // A member busy with a 500-record chunk on a loaded machine can miss a 6 s session.
      env: { STAGE_PARTITIONS_CONCURRENTLY: '1', KAFKA_SESSION_TIMEOUT_MS: '15000' },
    });
    const leads = Array.from({ length: total }, (_, i) =>
      rawLeadFixture({
        lead_id: randomUUID(),
        source_lead_id: `fault-${i}`,
        email: `ada.${i}@analytical-engines.com`,
      }),
    );
    await sut.producer.sendAll(
      leads.map((lead) => ({
        topic: sut!.topics.raw,
        key: lead.lead_id,
        value: sut!.codec.encode(sut!.topics.raw, lead),
      })),
    );
    const run = await killAndRestart(sut, total, sut.topics.normalized);
    const restartedConsumed = await assertRestartWork(run);

    const normalized = await readTopic<NormalizedLead>(
      sut.kafka,
      sut.codec,
      sut.topics.normalized,
      'NormalizedLead',
    );
    const ids = tally(normalized.map((r) => r.value.lead_id));
    assert.deepEqual(
      [...new Set(normalized.map((r) => r.value.lead_id))].sort(),
      leads.map((l) => l.lead_id).sort(),
      'every lead normalized, none lost',
    );
    assert.ok(
      ids.raw - ids.distinct <= total - run.committedAtKill,
      `records written twice only from uncommitted work: ${ids.raw - ids.distinct}`,
    );
    assert.deepEqual(await deadLetters(sut), [], 'nothing dead-lettered');
    recordFault({
      fault: 'SIGKILL normalizer mid-stream',
      sent: total,
      delivered: ids.distinct,
      lost: total - ids.distinct,
      assignedTwice: 0,
      proof: crashProof(
        { produced: total, committedAtKill: run.committedAtKill, restartedConsumed },
        `${run.outputAtKill} records on leads.normalized at the kill; ${ids.raw} in the end ` +
          `for ${ids.distinct} leads (${ids.raw - ids.distinct} written again by the replay)`,
      ),
    });
  });
});

describe('the enricher SIGKILLed mid-stream and restarted', () => {
  const API_KEY = 'sk_fault_enricher';
  let sut: StageUnderFault | undefined;
  let provider: FakeFirmographics | undefined;
  after(async () => {
    await sut?.close();
    await provider?.close();
  });

  it('enriches every lead, and the restarted enricher did the uncommitted work', async () => {
    const total = 600;
    const domain = (i: number) => `engines-${i}.com`;
    provider = await startFakeFirmographics({
      apiKeys: [API_KEY],
      companies: Array.from({ length: total }, (_, i) => ({
        name: `Engines ${i}`,
        domain: domain(i),
        category: { industry: 'Software' },
        metrics: { employees: 100 + i, annualRevenue: null },
      })),
    });
    // A slow provider (every lookup a distinct domain, so none is a cache hit) keeps the
    // enricher busy long enough for the kill to land between its commits.
    provider.control.slow(25);
    const dir = mkdtempSync(join(tmpdir(), 'lead-router-fault-enricher-'));
    const scoreFile = join(dir, 'score.yaml');
    writeFileSync(
      scoreFile,
      'rules:\n  - name: business_email\n    points: 10\n    when: { path: enrichment.free_mail, eq: false }\n',
    );
    sut = await stageUnderFault('fault-enricher', 'enricher', {
      input: (topics) => topics.normalized,
      env: {
        ENRICH_FIRMOGRAPHICS_URL: provider.url,
        ENRICH_FIRMOGRAPHICS_API_KEY_ENV: 'FAULT_FIRMOGRAPHICS_KEY',
        FAULT_FIRMOGRAPHICS_KEY: API_KEY,
        ENRICH_FIRMOGRAPHICS_TIMEOUT_MS: '5000',
        ENRICH_CONCURRENCY: '4',
        KAFKA_SESSION_TIMEOUT_MS: '15000',
        ENRICH_SCORE_FILE: scoreFile,
      },
    });
    const leads = Array.from({ length: total }, (_, i) =>
      normalizedLeadFixture({
        lead_id: randomUUID(),
        email: `ada.${i}@${domain(i)}`,
        company_domain: domain(i),
      }),
    );
    await sut.producer.sendAll(
      leads.map((lead) => ({
        topic: sut!.topics.normalized,
        key: lead.lead_id,
        value: sut!.codec.encode(sut!.topics.normalized, lead),
      })),
    );
    const run = await killAndRestart(sut, total, sut.topics.enriched);
    const restartedConsumed = await assertRestartWork(run);

    const enriched = await readTopic<EnrichedLead>(
      sut.kafka,
      sut.codec,
      sut.topics.enriched,
      'EnrichedLead',
    );
    const ids = tally(enriched.map((r) => r.value.lead.lead_id));
    assert.deepEqual(
      [...new Set(enriched.map((r) => r.value.lead.lead_id))].sort(),
      leads.map((l) => l.lead_id).sort(),
      'every lead enriched, none lost',
    );
    assert.ok(
      ids.raw - ids.distinct <= total - run.committedAtKill,
      `records written twice only from uncommitted work: ${ids.raw - ids.distinct}`,
    );
    assert.ok(
      enriched.every((r) => r.value.enrichment.firmographics !== null),
      'every lead carries the provider firmographics (the restart did not skip the lookup)',
    );
    assert.deepEqual(await deadLetters(sut), [], 'nothing dead-lettered');
    recordFault({
      fault: 'SIGKILL enricher mid-stream',
      sent: total,
      delivered: ids.distinct,
      lost: total - ids.distinct,
      assignedTwice: 0,
      proof: crashProof(
        { produced: total, committedAtKill: run.committedAtKill, restartedConsumed },
        `${run.outputAtKill} records on leads.enriched at the kill; ${ids.raw} in the end ` +
          `for ${ids.distinct} leads (${ids.raw - ids.distinct} written again by the replay)`,
      ),
    });
  });
});
