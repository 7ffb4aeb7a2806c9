import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchingProducer } from '@lead-router/kafka';
import { valueSubject, type NormalizedLead } from '@lead-router/schemas';
import { readTopic, testStack, waitFor } from '@lead-router/testing';
import { startPipeline, type Pipeline, type ServiceName } from '../e2e/pipeline.fixture';
import { recordFault } from './fault-summary';
import {
  RAW_LEAD_NEXT,
  deadLetters,
  inboxLeadIds,
  postLeads,
  produceRawLeads,
  routedTwice,
} from './fault-leads';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

/** The registry the pipeline's services see is a proxy this spec can cut; the test itself reads
 * the registry directly. Other stacks and helpers on the same registry are not affected. */
describe('fault: the schema registry down (services behind a TCP proxy to the registry)', () => {
  let proxy: TcpProxy;
  let proxiedUrl: string;
  let pipeline: Pipeline;

  before(async () => {
    const stack = await testStack();
    const registry = new URL(stack.registryUrl);
    const port = Number(registry.port || (registry.protocol === 'https:' ? 443 : 80));
    proxy = await startTcpProxy({ host: registry.hostname, port });
    proxiedUrl = `${registry.protocol}//${proxy.host}:${proxy.port}${registry.pathname}`;
    pipeline = await startPipeline('fault-registry', {
      env: { SCHEMA_REGISTRY_URL: proxiedUrl, LOG_LEVEL: process.env['FAULT_LOG_LEVEL'] ?? 'warn' },
      only: ['ingest', 'normalizer', 'enricher', 'router', 'sink-webhook'],
      // A restarted service's health clock runs while it waits for the registry.
      healthTimeoutMs: 180_000,
    });
  });

  after(async () => {
    await pipeline?.close();
    await proxy?.close();
  });

  /** Fails unless the proxied registry refuses connections right now. */
  async function assertRegistryDown(): Promise<void> {
    await assert.rejects(
      fetch(`${proxiedUrl}/subjects`),
      'the registry is unreachable via the proxy',
    );
  }

  it('mid-stream: with the schemas cached, leads accepted while the registry is down are delivered', async () => {
    const sent = 300;
    const cutAfter = 100;
    let inboxAtCut = -1;
    const ids = await postLeads(pipeline, 'reg-mid', sent, async (accepted) => {
      if (accepted === cutAfter) {
        await proxy.cut();
        inboxAtCut = inboxLeadIds(pipeline).size;
      }
    });
    await assertRegistryDown();
    const acceptedWhileDown = sent - cutAfter;
    // Every lead is delivered before the registry comes back.
    const delivered = await waitFor(
      () => {
        const inbox = inboxLeadIds(pipeline);
        return ids.every((id) => inbox.has(id)) && inbox;
      },
      { timeoutMs: 120_000, what: `all ${sent} leads in the inbox with the registry down` },
    );
    assert.equal(proxy.isCut, true, 'the registry was down the whole time');
    const lost = ids.filter((id) => !delivered.has(id)).length;
    const dead = (await deadLetters(pipeline)).filter((d) => ids.includes(d.lead_id ?? ''));
    const twice = await routedTwice(pipeline, ids);
    recordFault({
      fault: 'schema registry down mid-stream (schemas cached)',
      sent,
      delivered: ids.filter((id) => delivered.has(id)).length,
      lost,
      assignedTwice: twice,
      proof:
        `registry cut after ${cutAfter} leads were accepted, ${cutAfter - inboxAtCut} of them ` +
        `still in the stages (${inboxAtCut} in the inbox); ` +
        `${acceptedWhileDown} more accepted with it refusing connections, all ${sent} delivered ` +
        `before it came back, ${dead.length} dead-lettered`,
    });
    assert.ok(inboxAtCut < sent, 'the cut landed while leads were in flight');
    assert.equal(lost, 0);
    assert.equal(dead.length, 0, 'no lead dead-lettered');
    assert.equal(twice, 0);
  });

  it('at start: normalizer and ingest log the unreachable registry, retry, and start once it is back', async () => {
    if (!proxy.isCut) await proxy.cut();
    await assertRegistryDown();
    const restarted: ServiceName[] = ['normalizer', 'ingest'];
    const logDir = dirname(pipeline.services.get('normalizer')!.logFile);
    const before = new Set(readdirSync(logDir));
    for (const name of restarted) assert.equal(await pipeline.services.get(name)!.stop(), 0);

    const starts = restarted.map((name) => pipeline.start(name));
    // Each new process says, more than once, which registry it cannot reach, and keeps running.
    const retryLines = await waitFor(
      () => {
        const counts = restarted.map((name) => {
          const file = readdirSync(logDir).find((f) => f.startsWith(`${name}-`) && !before.has(f));
          if (!file) return 0;
          return readFileSync(join(logDir, file), 'utf8')
            .split('\n')
            .filter((l) => l.includes(`schema registry ${proxiedUrl} unreachable at start`)).length;
        });
        return counts.every((n) => n >= 2) && counts;
      },
      { timeoutMs: 60_000, what: 'two retry lines naming the registry from each service' },
    );
    await assertRegistryDown();
    await proxy.restore();
    await Promise.all(starts);
    for (const name of restarted) {
      const log = readFileSync(pipeline.services.get(name)!.logFile, 'utf8');
      assert.doesNotMatch(log, /failed to start/, `${name} did not give up`);
      assert.ok(!before.has(basename(pipeline.services.get(name)!.logFile)), 'a new process');
    }

    const sent = 200;
    const ids = await postLeads(pipeline, 'reg-start', sent);
    const delivered = await waitFor(
      () => {
        const inbox = inboxLeadIds(pipeline);
        return ids.every((id) => inbox.has(id)) && inbox;
      },
      { timeoutMs: 120_000, what: `all ${sent} leads in the inbox after the restart` },
    );
    const lost = ids.filter((id) => !delivered.has(id)).length;
    const twice = await routedTwice(pipeline, ids);
    recordFault({
      fault: 'schema registry down at the start of normalizer and ingest',
      sent,
      delivered: ids.filter((id) => delivered.has(id)).length,
      lost,
      assignedTwice: twice,
      proof:
        `started with the registry refusing connections: normalizer logged ${retryLines[0]} and ` +
        `ingest ${retryLines[1]} retries naming ${proxiedUrl} while staying up; both started ` +
        `when it came back and the ${sent} leads sent then were delivered`,
    });
    assert.equal(lost, 0);
    assert.equal(twice, 0);
  });
  it('mid-stream: records of a writer schema not cached yet wait for the registry, none dead-lettered', async () => {
    // A producer on a newer RawLead registers it itself; the normalizer has never seen its id.
    const newId = await pipeline.codec.registerSchema(
      valueSubject(pipeline.topics.raw),
      RAW_LEAD_NEXT,
    );
    await proxy.cut();
    await assertRegistryDown();
    const producer = BatchingProducer.create(pipeline.kafka);
    await producer.connect();
    const sent = 50;
    const ids = await produceRawLeads(producer, pipeline.codec, pipeline.topics.raw, {
      tag: 'reg-uncached',
      count: sent,
      schemaId: newId,
      extra: { campaign_id: 'autumn' },
    }).finally(() => producer.disconnect());
    // The normalizer tries to read them, cannot fetch the writer schema, and says why.
    const normalizerLog = pipeline.services.get('normalizer')!.logFile;
    await waitFor(
      () =>
        readFileSync(normalizerLog, 'utf8').includes(
          `unreachable while reading schema id ${newId}`,
        ),
      { timeoutMs: 60_000, what: 'the normalizer to report the schema id it cannot fetch' },
    );
    const normalizedWhileDown = (
      await readTopic<NormalizedLead>(
        pipeline.kafka,
        pipeline.codec,
        pipeline.topics.normalized,
        'NormalizedLead',
      )
    ).filter((r) => ids.includes(r.value.lead_id)).length;
    const deadWhileDown = (await deadLetters(pipeline)).filter((d) =>
      ids.includes(d.lead_id ?? ''),
    ).length;
    await proxy.restore();
    const delivered = await waitFor(
      () => {
        const inbox = inboxLeadIds(pipeline);
        return ids.every((id) => inbox.has(id)) && inbox;
      },
      { timeoutMs: 180_000, what: `all ${sent} leads in the inbox once the registry is back` },
    );
    const dead = (await deadLetters(pipeline)).filter((d) => ids.includes(d.lead_id ?? ''));
    const lost = ids.filter((id) => !delivered.has(id)).length;
    const twice = await routedTwice(pipeline, ids);
    recordFault({
      fault: 'schema registry down mid-stream, writer schema not cached',
      sent,
      delivered: sent - lost,
      lost,
      assignedTwice: twice,
      proof:
        `${sent} leads written with schema id ${newId}, new to the normalizer, while the registry ` +
        `refused connections: the normalizer logged the id it could not fetch, ` +
        `${normalizedWhileDown} were normalized and ${deadWhileDown} dead-lettered meanwhile; ` +
        `after the restore all ${sent} were delivered, ${dead.length} dead-lettered`,
    });
    assert.equal(normalizedWhileDown, 0, 'nothing read without its writer schema');
    assert.equal(deadWhileDown, 0, 'nothing dead-lettered while the registry was down');
    assert.equal(dead.length, 0);
    assert.equal(lost, 0);
    assert.equal(twice, 0);
  });
});
