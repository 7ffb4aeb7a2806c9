import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Topics } from '@lead-router/schemas';
import { readRaw, waitFor } from '@lead-router/testing';
import type { Admin } from 'kafkajs';
import { Pool } from 'pg';
import { startPipeline, type Pipeline } from '../e2e/pipeline.fixture';
import { runLeadctl } from '../integration/leadctl-cli.fixture';
import { recordFault } from './fault-summary';
import { inboxLeadIds, postLeads } from './fault-leads';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';
/** The topics the indexer reads, each with its own consumer group. */
const INDEXED_TOPICS = [
  'raw',
  'normalized',
  'enriched',
  'routed',
  'attempts',
  'delivered',
  'dlq',
] as const;
/** What a complete trace of a lead delivered to the demo inbox holds. */
const STAGES_OF_A_DELIVERED_LEAD = ['captured', 'normalized', 'enriched', 'routed', 'delivered'];

/**
 * PostgreSQL is shared by every test on this machine, so it is never stopped: the indexer reaches
 * it through a TCP proxy this spec cuts (open connections destroyed, new ones refused).
 */
describe('fault: PostgreSQL down and back under the indexer', () => {
  const table = `lead_events_fault_${randomBytes(4).toString('hex')}`;
  let proxy: TcpProxy;
  let pipeline: Pipeline;
  let admin: Admin;
  let pool: Pool;

  before(async () => {
    const pg = new URL(PG_URL);
    proxy = await startTcpProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
    const proxied = new URL(PG_URL);
    proxied.host = `${proxy.host}:${proxy.port}`;
    pipeline = await startPipeline('fault-pg', {
      indexer: { table, pgUrl: proxied.toString() },
      only: ['ingest', 'normalizer', 'enricher', 'router', 'sink-webhook'],
      // The indexer joins seven consumer groups before it answers; on a loaded 2-core machine
      // that has taken over a minute.
      healthTimeoutMs: 180_000,
    });
    admin = pipeline.kafka.admin();
    await admin.connect();
    pool = new Pool({ connectionString: PG_URL, max: 2 });
  });

  after(async () => {
    await pipeline?.close();
    await proxy?.close();
    await admin?.disconnect();
    await pool?.query(`drop table if exists ${table}`);
    await pool?.end();
  });

  /**
   * Records on the indexed topics at or past the offset the indexer's group committed on their
   * partition: its lag, counted in records (a high watermark would count the router's
   * transaction markers too, which no consumer ever commits past).
   */
  async function indexerLag(): Promise<number> {
    let lag = 0;
    for (const t of INDEXED_TOPICS) {
      const topic = pipeline.topics[t];
      const groupId = `${pipeline.prefix}lead-router.indexer.${Topics[t]}`;
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = new Map(
        (offsets?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]),
      );
      for (const r of await readRaw(pipeline.kafka, topic)) {
        if (Number(r.offset) >= (committed.get(r.partition) ?? 0)) lag++;
      }
    }
    return lag;
  }

  /** Each lead of `ids` with the stages the index holds for it. */
  async function indexedStages(ids: readonly string[]): Promise<Map<string, Set<string>>> {
    const { rows } = await pool.query<{ lead_id: string; stage: string }>(
      `select distinct lead_id, stage from ${table} where lead_id = any($1)`,
      [ids],
    );
    const out = new Map<string, Set<string>>();
    for (const r of rows) out.set(r.lead_id, (out.get(r.lead_id) ?? new Set()).add(r.stage));
    return out;
  }

  const healthStatus = async () =>
    (await fetch(`${pipeline.services.get('indexer')!.url}/health`)).status;

  it('holds its offsets while PostgreSQL is gone, then catches up: every lead fully traced', async () => {
    const sent = 300;
    const cutAfter = 80;
    let rowsAtCut = -1;
    const ids = await postLeads(pipeline, 'pg', sent, async (accepted) => {
      if (accepted === cutAfter) {
        await proxy.cut();
        rowsAtCut = Number((await pool.query(`select count(*) from ${table}`)).rows[0].count);
      }
    });
    // The rest of the pipeline goes on: every lead reaches the inbox with PostgreSQL away.
    await waitFor(
      () => {
        const inbox = inboxLeadIds(pipeline);
        return ids.every((id) => inbox.has(id));
      },
      { timeoutMs: 120_000, what: `all ${sent} leads in the inbox` },
    );
    // Meanwhile the indexer reports itself unhealthy and its records wait in Kafka.
    const unhealthy = await waitFor(
      async () => {
        const status = await healthStatus();
        return status !== 200 ? status : undefined;
      },
      {
        timeoutMs: 60_000,
        what: 'the indexer to report unhealthy',
      },
    );
    const lagWhileDown = await indexerLag();
    const indexedWhileDown = (await indexedStages(ids)).size;
    assert.equal(proxy.isCut, true);
    assert.ok(rowsAtCut > 0, 'the indexer was writing when PostgreSQL went away');
    assert.ok(lagWhileDown > 0, 'records wait in Kafka while PostgreSQL is down');

    await proxy.restore();
    await waitFor(async () => ((await indexerLag()) === 0 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: "the indexer's lag back to 0",
    });
    await waitFor(async () => ((await healthStatus()) === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the indexer healthy again',
    });

    const stages = await indexedStages(ids);
    const incomplete = ids.filter((id) =>
      STAGES_OF_A_DELIVERED_LEAD.some((s) => !stages.get(id)?.has(s)),
    );
    // The real CLI, on leads sent before the cut and while PostgreSQL was down.
    const sample = [ids[0]!, ids[cutAfter - 1]!, ids[cutAfter + 10]!, ids[sent - 1]!];
    const env = { TOPIC_PREFIX: pipeline.prefix, INDEX_TABLE: table, PG_URL };
    const traces = await Promise.all(sample.map((id) => runLeadctl(['trace', id], env)));

    recordFault({
      fault: 'PostgreSQL cut under the indexer mid-stream, then restored',
      sent,
      delivered: sent - incomplete.length,
      lost: incomplete.length,
      assignedTwice: 0,
      proof:
        `cut after ${cutAfter} leads were accepted (${rowsAtCut} index rows then); while down ` +
        `the indexer's /health answered ${unhealthy}, its groups lagged ` +
        `${lagWhileDown} records and ${indexedWhileDown}/${sent} leads had any row; after the ` +
        `restore the lag returned to 0 and ${sent - incomplete.length}/${sent} leads hold ` +
        `captured..delivered; leadctl trace complete for ${sample.length} sampled leads`,
    });
    assert.deepEqual(incomplete, [], 'every lead sent has every stage in the index');
    assert.ok(indexedWhileDown < sent, 'some leads were indexed only after the restore');
    for (const [i, run] of traces.entries()) {
      assert.equal(run.code, 0, run.stderr);
      const out = run.stdout;
      assert.match(out, new RegExp(`^lead ${sample[i]}`));
      for (const line of [/captured via http/, /normalized at/, /enriched/, /routed at/]) {
        assert.match(out, line);
      }
      assert.match(out, /delivered to demo-inbox/);
    }
  });
});
