/**
 * The held queue (issue 13, point 2): 10,000 leads held for ten minutes. A router runs as its own
 * process on a queue whose only member is out of office until ten minutes after the leads are
 * held; every ~10 s the bench samples router.held's end offsets (summed over its partitions), the
 * router's RSS and its held-leads gauge. Then the member is back, and every lead must reach
 * leads.routed exactly once and leave a tombstone on router.held.
 *
 *   npm run bench:held            (HELD_BENCH_LEADS, HELD_BENCH_MINUTES, HELD_BENCH_SAMPLE_S)
 *
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL name a running stack; without them one is started.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchingProducer, ensureTopics, readToEnd } from '@lead-router/kafka';
import { freePort, startService } from '@lead-router/local-stack';
import { MetricNames, createLogger } from '@lead-router/observability';
import { prefixedTopics } from '@lead-router/schemas';
import { enrichedLeadFixture, oneMemberRules } from '@lead-router/testing';
import type { Kafka } from 'kafkajs';
import { benchCodec, benchKafka, benchStack } from './bench.stack';
import { machine, rssMb, scrape, sleep, sumMetric } from './proc.stats';
import { benchServiceEnv } from './pipeline.part';

const LEADS = Number(process.env['HELD_BENCH_LEADS'] ?? 10_000);
const MINUTES = Number(process.env['HELD_BENCH_MINUTES'] ?? 10);
const SAMPLE_MS = Number(process.env['HELD_BENCH_SAMPLE_S'] ?? 10) * 1000;
/** Time for the router to start and hold every lead before the ten minutes begin. */
const SETUP_MS = Number(process.env['HELD_BENCH_SETUP_S'] ?? 150) * 1000;
const repoRoot = resolve(__dirname, '..', '..');

const say = (msg: string) => process.stdout.write(`[held-bench] ${msg}\n`);

interface Sample {
  t: number;
  heldEndOffsets: number;
  rssMb: number;
  /** V8's heap in use (prom-client's nodejs_heap_size_used_bytes), MB: what a leak would grow. */
  heapMb: number;
  heldGauge: number;
  routed: number;
}

async function endOffsets(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function chartSvg(samples: readonly Sample[], back: number, start: number): string {
  const W = 760;
  const H = 280;
  const P = { l: 70, r: 70, t: 30, b: 40 };
  const maxT = Math.max(1, ...samples.map((s) => s.t));
  const maxOff = Math.max(1, ...samples.map((s) => s.heldEndOffsets)) * 1.2;
  const maxRss = Math.max(1, ...samples.map((s) => s.rssMb)) * 1.2;
  const x = (t: number) => P.l + (t / maxT) * (W - P.l - P.r);
  const y = (v: number, max: number) => P.t + (H - P.t - P.b) * (1 - v / max);
  const path = (pick: (s: Sample) => number, max: number) =>
    samples
      .map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.t).toFixed(1)},${y(pick(s), max).toFixed(1)}`)
      .join(' ');
  const backX = x((back - start) / 1000);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${P.l}" y="18" font-size="13">${LEADS.toLocaleString('en')} leads held for ${MINUTES} min: router.held end offsets (blue, left) and router RSS in MB (red, right)</text>
<line x1="${P.l}" y1="${H - P.b}" x2="${W - P.r}" y2="${H - P.b}" stroke="#999"/>
<line x1="${P.l}" y1="${P.t}" x2="${P.l}" y2="${H - P.b}" stroke="#999"/>
<line x1="${W - P.r}" y1="${P.t}" x2="${W - P.r}" y2="${H - P.b}" stroke="#999"/>
<line x1="${backX.toFixed(1)}" y1="${P.t}" x2="${backX.toFixed(1)}" y2="${H - P.b}" stroke="#4a4" stroke-dasharray="4 3"/>
<text x="${(backX + 4).toFixed(1)}" y="${P.t + 12}" font-size="11" fill="#4a4">member back: release</text>
<path d="${path((s) => s.heldEndOffsets, maxOff)}" fill="none" stroke="#2b6cb0" stroke-width="2"/>
<path d="${path((s) => s.rssMb, maxRss)}" fill="none" stroke="#c53030" stroke-width="2"/>
<text x="${P.l - 6}" y="${P.t + 4}" font-size="11" text-anchor="end">${Math.round(maxOff)}</text>
<text x="${P.l - 6}" y="${H - P.b}" font-size="11" text-anchor="end">0</text>
<text x="${W - P.r + 6}" y="${P.t + 4}" font-size="11">${Math.round(maxRss)} MB</text>
<text x="${W - P.r + 6}" y="${H - P.b}" font-size="11">0</text>
<text x="${W / 2}" y="${H - 10}" font-size="11" text-anchor="middle">seconds since the first lead was produced (0 to ${Math.round(maxT)})</text>
</svg>
`;
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-held-bench-'));
  const env = await benchStack(workDir, say);
  const m = machine(repoRoot);
  const kafka = benchKafka(env.brokers, 'held-bench', createLogger('held-bench', 'warn'));
  const prefix = `bench-held-${Date.now()}.`;
  const { topics, declarations } = prefixedTopics(prefix);
  await ensureTopics(kafka, declarations);
  const codec = benchCodec(env.registryUrl);
  await codec.register(declarations);

  const back = Date.now() + SETUP_MS + MINUTES * 60_000;
  const rulesFile = join(workDir, 'rules.yaml');
  writeFileSync(rulesFile, oneMemberRules('held-bench', 'dana', { awayUntil: new Date(back) }));
  const port = await freePort();
  const router = await startService(
    'router',
    {
      ...benchServiceEnv(env, 'router', prefix, port),
      ROUTING_RULES_FILE: rulesFile,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
    },
    { port, logDir: join(workDir, 'logs'), healthTimeoutMs: 120_000 },
  );
  const pid = router.process.pid!;
  const producer = BatchingProducer.create(kafka);
  await producer.connect();

  const start = Date.now();
  const samples: Sample[] = [];
  const sample = async (): Promise<Sample> => {
    const metrics = await scrape(router.url);
    const s: Sample = {
      t: Math.round((Date.now() - start) / 1000),
      heldEndOffsets: await endOffsets(kafka, topics.held),
      rssMb: Math.round((rssMb(pid) ?? NaN) * 10) / 10,
      heapMb: Math.round(sumMetric(metrics, 'nodejs_heap_size_used_bytes') / 104_857.6) / 10,
      heldGauge: sumMetric(metrics, MetricNames.routerHeldLeads),
      routed: await endOffsets(kafka, topics.routed),
    };
    samples.push(s);
    say(
      `t=${s.t}s held end offsets ${s.heldEndOffsets}, held gauge ${s.heldGauge}, ` +
        `rss ${s.rssMb} MB, heap ${s.heapMb} MB, routed end offsets ${s.routed}`,
    );
    return s;
  };

  say(`producing ${LEADS} leads; the member is back at ${new Date(back).toISOString()}`);
  const leads = Array.from({ length: LEADS }, () =>
    enrichedLeadFixture({ lead: { lead_id: randomUUID() } }),
  );
  for (let i = 0; i < leads.length; i += 1000) {
    await producer.sendAll(
      leads.slice(i, i + 1000).map((lead) => ({
        topic: topics.enriched,
        key: lead.lead.lead_id,
        value: codec.encode(topics.enriched, lead),
      })),
    );
  }
  let heldAt = NaN;
  while (Date.now() < back) {
    const s = await sample();
    if (Number.isNaN(heldAt) && s.heldGauge >= LEADS) heldAt = s.t;
    await sleep(Math.min(SAMPLE_MS, Math.max(0, back - Date.now())));
  }
  assert.ok(!Number.isNaN(heldAt), `all ${LEADS} leads held before the member was back`);
  say('the member is back: waiting for every lead to be routed');
  const deadline = Date.now() + 10 * 60_000;
  let routedIds: string[] = [];
  for (;;) {
    await sample();
    const routed = await readToEnd(kafka, topics.routed);
    routedIds = routed.map((r) => r.key ?? '');
    if (routedIds.length >= LEADS || Date.now() > deadline) break;
    await sleep(SAMPLE_MS);
  }
  await sleep(2 * SAMPLE_MS);
  const final = await sample();
  const held = await readToEnd(kafka, topics.held);
  const heldRecords = held.filter((r) => r.message.value !== null).length;
  const tombstones = held.filter((r) => r.message.value === null).length;
  const released = sumMetric(await scrape(router.url), MetricNames.routerHeldReleased);
  await router.stop();
  await producer.disconnect();
  await env.stack?.stop();

  const waiting = samples.filter((s) => s.t >= heldAt && s.t <= (back - start) / 1000);
  const offsetsWhileWaiting = waiting.map((s) => s.heldEndOffsets);
  const rssWhileWaiting = waiting.map((s) => s.rssMb);
  const heapWhileWaiting = waiting.map((s) => s.heapMb);
  const lines = [
    `### Held queue: ${LEADS.toLocaleString('en')} leads held for ${MINUTES} minutes (${new Date().toISOString().slice(0, 10)})`,
    '',
    `Commit ${m.commit}${m.dirty ? ' (with uncommitted changes in the tree)' : ''}, Node ${m.node}, ` +
      `${m.nproc} cores (${m.cpuModel}), load average at the start ${m.loadAverage.map((l) => l.toFixed(1)).join(' ')}.`,
    '',
    `- all ${LEADS} held by t=${heldAt} s; member back at t=${Math.round((back - start) / 1000)} s`,
    `- router.held end offsets while waiting (${waiting.length} samples): min ${Math.min(...offsetsWhileWaiting)}, max ${Math.max(...offsetsWhileWaiting)}`,
    `- router RSS while waiting: min ${Math.min(...rssWhileWaiting)} MB, max ${Math.max(...rssWhileWaiting)} MB; ` +
      `V8 heap used: min ${Math.min(...heapWhileWaiting)} MB, max ${Math.max(...heapWhileWaiting)} MB`,
    `- after the release: ${routedIds.length} routed, ${new Set(routedIds).size} distinct leads; ` +
      `router.held ${heldRecords} held records + ${tombstones} tombstones (end offsets ${final.heldEndOffsets}); released counter ${released}`,
    '',
    '| t (s) | router.held end offsets | held gauge | router RSS (MB) | V8 heap used (MB) | leads.routed end offsets |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...samples.map(
      (s) =>
        `| ${s.t} | ${s.heldEndOffsets} | ${s.heldGauge} | ${s.rssMb} | ${s.heapMb} | ${s.routed} |`,
    ),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  const outDir = join(repoRoot, 'bench');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'held-queue.svg'), chartSvg(samples, back, start));
  writeFileSync(join(workDir, 'held-bench.md'), `${lines.join('\n')}\n`);
  say(`chart: bench/held-queue.svg; table: ${join(workDir, 'held-bench.md')}`);
  assert.equal(new Set(routedIds).size, LEADS, 'every lead routed');
  assert.equal(routedIds.length, LEADS, 'no lead routed twice');
  assert.equal(tombstones, LEADS, 'a tombstone per released lead');
  assert.equal(Math.min(...offsetsWhileWaiting), Math.max(...offsetsWhileWaiting), 'flat');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
