import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testStack, waitFor } from '@lead-router/testing';
import { startPipeline, type Pipeline, type ServiceName } from '../e2e/pipeline.fixture';
import { recordFault } from './fault-summary';
import { deadLetters, inboxLeadIds, postLeads, routedTwice } from './fault-leads';
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
    proxy = await startTcpProxy({ host: registry.hostname, port: Number(registry.port) });
    proxiedUrl = `http://${proxy.host}:${proxy.port}${registry.pathname}`;
    pipeline = await startPipeline('fault-registry', {
      env: { SCHEMA_REGISTRY_URL: proxiedUrl, LOG_LEVEL: process.env['FAULT_LOG_LEVEL'] ?? 'warn' },
      only: ['ingest', 'normalizer', 'enricher', 'router', 'sink-webhook'],
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
});
