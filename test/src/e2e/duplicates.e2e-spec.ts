import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { readRaw, waitFor } from '@lead-router/testing';
import { AssignerProtocol } from 'kafkajs';
import { Pool } from 'pg';
import { runLeadctl } from '../integration/leadctl-cli.fixture';
import { startEnrichmentPipeline, type EnrichmentPipeline } from './enrichment-pipeline.fixture';

/**
 * New leads go round robin, so a second lead from the same person would go to the next member;
 * the first rule keeps a duplicate with the owner of the lead it duplicates.
 */
const RULES = `
id: duplicates-e2e
version: '1'
destinations:
  crm:
    type: webhook
    url: http://127.0.0.1:9/never-called
    allow_private: true
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members: &team
      - { id: alice, owners: { crm: sf-alice } }
      - { id: bruno, owners: { crm: sf-bruno } }
      - { id: carmen, owners: { crm: sf-carmen } }
  first-owner:
    method: account_owner
    account_owner_path: enrichment.duplicate_owner
    otherwise: round_robin
    when_unavailable: { overflow: sales }
    members: *team
rules:
  - name: duplicate-to-first-owner
    when: { path: enrichment.duplicate_of, exists: true }
    queue: first-owner
    destinations: [crm]
  - name: everyone
    when: { path: lead.lead_id, exists: true }
    queue: sales
    destinations: [crm]
fallback:
  queue: sales
  destinations: [crm]
`;

const PAIRS = 8;
const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';

describe('duplicate detection with two enricher instances', () => {
  let pipeline: EnrichmentPipeline;
  const table = `lead_events_duplicates_${randomBytes(4).toString('hex')}`;

  before(async () => {
    pipeline = await startEnrichmentPipeline('duplicates', {
      rulesYaml: RULES,
      enricherEnv: { ENRICH_DUPLICATES_WINDOW: '10m' },
      indexer: { table, pgUrl: PG_URL },
    });
    await pipeline.startEnricher();
  });
  after(async () => {
    await pipeline?.close();
    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    await pool.query(`drop table if exists ${table}`);
    await pool.end();
  });

  /** Which enricher instance (member id) holds each partition of `topic` in `groupId`. */
  const owners = async (groupId: string, topic: string) => {
    const admin = pipeline.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([groupId]);
      const byPartition = new Map<number, string>();
      for (const member of groups[0]?.members ?? []) {
        const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        for (const p of assignment?.assignment[topic] ?? []) byPartition.set(p, member.memberId);
      }
      return byPartition;
    } finally {
      await admin.disconnect();
    }
  };

  it('sends the second lead with the same email to the owner of the first, marked duplicate_of it', async () => {
    const group = `${pipeline.prefix}lead-router.enricher`;
    // Both instances share the work of each enricher group before any lead is sent.
    for (const [g, topic] of [
      [group, pipeline.topics.normalized],
      [`${group}.duplicates`, pipeline.topics.contacts],
    ] as const) {
      await waitFor(async () => new Set((await owners(g, topic)).values()).size === 2, {
        timeoutMs: 60_000,
        intervalMs: 500,
        what: `two enricher instances in ${g}`,
      });
    }

    const person = (i: number) => ({
      email: `Dup.Person${i}@Example-Dup.com`,
      company: `Dup ${i}`,
      country: 'DE',
    });
    const firsts: string[] = [];
    for (let i = 0; i < PAIRS; i++) firsts.push(await pipeline.post(person(i)));
    const firstRouted = await Promise.all(firsts.map((id) => pipeline.routed(id)));
    // The same people a moment later, the email typed in another case.
    const seconds: string[] = [];
    for (let i = 0; i < PAIRS; i++) {
      seconds.push(await pipeline.post({ ...person(i), email: person(i).email.toLowerCase() }));
    }
    const secondRouted = await Promise.all(seconds.map((id) => pipeline.routed(id)));

    const members = new Set<string>();
    for (let i = 0; i < PAIRS; i++) {
      const [first, second] = [firstRouted[i]!, secondRouted[i]!];
      assert.equal(first.enrichment.duplicate_of, null, `lead ${i}: the first is no duplicate`);
      assert.equal(first.enrichment.enrichment_status['duplicates'], 'no_match');
      assert.equal(first.decision.matched_rule, 'everyone');
      const owner = first.decision.distribution!.chosen_member;
      members.add(owner);
      assert.equal(second.enrichment.duplicate_of, first.lead.lead_id, `lead ${i}: duplicate_of`);
      assert.equal(second.enrichment.duplicate_by, 'email');
      assert.equal(second.enrichment.duplicate_owner, owner);
      assert.equal(second.enrichment.enrichment_status['duplicates'], 'ok');
      assert.equal(second.decision.matched_rule, 'duplicate-to-first-owner');
      assert.equal(second.decision.distribution?.method, 'account_owner');
      assert.equal(second.decision.distribution?.chosen_member, owner, `lead ${i}: same owner`);
      assert.equal(second.decision.owner_id, first.decision.owner_id);
    }
    assert.ok(members.size > 1, 'the firsts went round robin, so sameness is not by chance');

    const owner = firstRouted[0]!.decision.distribution!.chosen_member;
    const trace = await waitFor(
      async () => {
        const run = await runLeadctl(['trace', seconds[0]!], {
          TOPIC_PREFIX: pipeline.prefix,
          INDEX_TABLE: table,
          PG_URL,
        });
        return run.code === 0 && /routed at/.test(run.stdout) ? run.stdout : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: 'the trace of a duplicate' },
    );
    assert.match(
      trace,
      new RegExp(`\\n {4}duplicate of lead ${firsts[0]} \\(same email\\); its owner ${owner}\\n`),
    );
    assert.match(trace, /rule duplicate-to-first-owner matched/);

    // The claim is about two instances: some pairs were enriched by different instances.
    const normalizedOwners = await owners(group, pipeline.topics.normalized);
    const normalized = await readRaw(pipeline.kafka, pipeline.topics.normalized);
    const instanceOf = (leadId: string) =>
      normalizedOwners.get(normalized.find((r) => r.key === leadId)!.partition);
    let crossed = 0;
    for (let i = 0; i < PAIRS; i++) {
      if (instanceOf(firsts[i]!) !== instanceOf(seconds[i]!)) crossed += 1;
    }
    assert.ok(crossed > 0, 'at least one pair was enriched by two different instances');
  });
});
