import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadTransportConfig, type KafkaTransport } from '@lead-router/config';
import { ensureArtifacts } from '@lead-router/local-stack';
import type { Kafka } from 'kafkajs';
import { cpuSeconds } from './proc.stats';

/** Latencies a Kafka tool prints, in ms; a figure the tool does not print is absent. */
export interface ToolLatencyMs {
  avg: number;
  p50: number;
  p95?: number;
  p99: number;
  p999: number;
  max?: number;
}

/** `kafka-producer-perf-test` (org.apache.kafka.tools.ProducerPerformance), unthrottled. */
export interface ProducerPerfFigures {
  records: number;
  recordBytes: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** send to acknowledgement of each record, while the producer runs flat out (queueing included) */
  latencyMs: ToolLatencyMs;
  /** CPU seconds of the tool's JVM (sampled just before it exited) */
  cpuSeconds: number;
  /**
   * The same figures without the first `warmupRecords` (the JVM's start, the connection, the
   * producer id): what the tool prints as its steady state; absent without a warm-up.
   */
  steady?: Omit<ProducerPerfFigures, 'recordBytes' | 'cpuSeconds' | 'steady'>;
}

/** `kafka-consumer-perf-test` (org.apache.kafka.tools.ConsumerPerformance) over the same records. */
export interface ConsumerPerfFigures {
  records: number;
  /** over the whole run, the group join included */
  recordsPerSec: number;
  mbPerSec: number;
  /** over the fetching only, as the tool reports `fetch.nMsg.sec` */
  fetchRecordsPerSec: number;
  fetchMbPerSec: number;
  rebalanceMs: number;
  cpuSeconds: number;
}

/**
 * `kafka-e2e-latency` (org.apache.kafka.tools.EndToEndLatency): one record at a time, produced
 * with acks=all and read back by a consumer, the next sent only when the last one arrived. It
 * prints no maximum.
 */
export interface EndToEndLatencyFigures {
  records: number;
  recordBytes: number;
  latencyMs: Omit<ToolLatencyMs, 'p95' | 'max'>;
  cpuSeconds: number;
}

export interface KafkaToolsFigures {
  kafkaVersion: string;
  partitions: number;
  /** the client settings the tools ran with, besides the brokers (no secrets) */
  transport: string;
  producer: ProducerPerfFigures;
  consumer: ConsumerPerfFigures;
  endToEnd: EndToEndLatencyFigures;
}

export interface KafkaToolsOptions {
  /** for the topics the tools use: created here, `<prefix>producer-perf` and `<prefix>e2e-latency` */
  kafka: Kafka;
  /** bootstrap servers, comma-separated, as KAFKA_BROKERS */
  brokers: string;
  /** topic name prefix, unique to the run */
  prefix: string;
  /** records for the producer and consumer perf tests */
  records: number;
  /** bytes per record: the average value size of the pipeline's records */
  recordBytes: number;
  /** of `records`, those the producer perf test leaves out of its steady state (default 10 %) */
  warmupRecords?: number;
  /** round trips of the end-to-end latency tool, one at a time (default 2,000) */
  latencyRecords?: number;
  /** default 6, as the pipeline's lead topics */
  partitions?: number;
  /** where the client properties file goes while the tools run (it is removed after) */
  workDir: string;
  /** the directory of Kafka's jars; default: the local stack's (`ensureArtifacts`) */
  kafkaLibs?: string;
  /** `java`; default $JAVA_HOME/bin/java, else java on PATH */
  java?: string;
  /** the transport (TLS, SASL); default: read from the environment as the services read it */
  transport?: KafkaTransport;
  /** progress lines while a tool runs */
  say?: (msg: string) => void;
}

/**
 * Kafka's own limit on this machine, measured by Kafka's own tools from the jars the local stack
 * runs the broker from (kafka-tools is on that classpath, see deploy/local/maven/kafka/pom.xml):
 *  - producer perf: `records` records of `recordBytes`, unthrottled, acks=all, idempotence on,
 *    onto a topic of `partitions` partitions;
 *  - consumer perf: the same records read back by one consumer;
 *  - end-to-end latency: `latencyRecords` records one at a time, acks=all.
 * The Java clients get the same transport as the services (TLS, SASL), through a client
 * properties file written for the run and deleted after it.
 */
export async function kafkaTools(opts: KafkaToolsOptions): Promise<KafkaToolsFigures> {
  const partitions = opts.partitions ?? 6;
  const latencyRecords = opts.latencyRecords ?? 2_000;
  const say = opts.say ?? (() => undefined);
  const kafkaLibs = opts.kafkaLibs ?? (await ensureArtifacts()).kafkaLibs;
  const java = opts.java ?? defaultJava();
  const transport = opts.transport ?? loadTransportConfig(process.env).kafka;
  const perfTopic = `${opts.prefix}producer-perf`;
  const latencyTopic = `${opts.prefix}e2e-latency`;

  const admin = opts.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: perfTopic, numPartitions: partitions },
        // the tool reads its records back from one partition
        { topic: latencyTopic, numPartitions: 1 },
      ],
    });
  } finally {
    await admin.disconnect();
  }

  const properties = javaClientProperties(transport);
  const configFile = join(opts.workDir, `${opts.prefix}kafka-tools.properties`);
  writeFileSync(configFile, properties.text, { mode: 0o600 });
  const config = ['--command-config', configFile];
  const tool = (name: string, args: string[]) =>
    runTool(java, kafkaLibs, name, args, (line) => say(`   ${name}: ${line}`));
  try {
    say(`   producer perf: ${opts.records} records of ${opts.recordBytes} bytes`);
    const produced = await tool('ProducerPerformance', [
      '--bootstrap-server',
      opts.brokers,
      '--topic',
      perfTopic,
      '--num-records',
      String(opts.records),
      '--warmup-records',
      String(opts.warmupRecords ?? Math.floor(opts.records / 10)),
      '--record-size',
      String(opts.recordBytes),
      '--throughput',
      '-1',
      ...config,
      '--command-property',
      'acks=all',
      'enable.idempotence=true',
    ]);
    const producer = parseProducerPerf(produced.lines, opts.recordBytes, produced.cpuSeconds);

    say(`   consumer perf: the same ${opts.records} records`);
    const consumed = await tool('ConsumerPerformance', [
      '--bootstrap-server',
      opts.brokers,
      '--topic',
      perfTopic,
      '--num-records',
      String(opts.records),
      '--group',
      `${opts.prefix}consumer-perf`,
      '--reporting-interval',
      '5000',
      ...config,
    ]);
    const consumer = parseConsumerPerf(consumed.lines, consumed.cpuSeconds);

    say(`   end-to-end latency: ${latencyRecords} records, one at a time`);
    const e2e = await tool('EndToEndLatency', [
      '--bootstrap-server',
      opts.brokers,
      '--topic',
      latencyTopic,
      '--num-records',
      String(latencyRecords),
      '--producer-acks',
      'all',
      '--record-size',
      String(opts.recordBytes),
      ...config,
    ]);
    const endToEnd = parseEndToEnd(e2e.lines, latencyRecords, opts.recordBytes, e2e.cpuSeconds);

    return {
      kafkaVersion: kafkaVersionOf(kafkaLibs),
      partitions,
      transport: properties.summary,
      producer,
      consumer,
      endToEnd,
    };
  } finally {
    rmSync(configFile, { force: true });
  }
}

/**
 * The Java client properties for the transport the services use: security.protocol, SASL's JAAS
 * line, and PEM trust and key material inline (Kafka's PEM key store wants a PKCS#8 key).
 */
export function javaClientProperties(transport: KafkaTransport): { text: string; summary: string } {
  const props: [string, string][] = [];
  const { ssl, sasl } = transport;
  const protocol = ssl && sasl ? 'SASL_SSL' : ssl ? 'SSL' : sasl ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
  props.push(['security.protocol', protocol]);
  if (sasl) {
    const scram = sasl.mechanism !== 'plain';
    props.push(['sasl.mechanism', scram ? sasl.mechanism.toUpperCase() : 'PLAIN']);
    const module = scram
      ? 'org.apache.kafka.common.security.scram.ScramLoginModule'
      : 'org.apache.kafka.common.security.plain.PlainLoginModule';
    props.push([
      'sasl.jaas.config',
      `${module} required username="${jaasQuote(sasl.username)}" password="${jaasQuote(sasl.password)}";`,
    ]);
  }
  if (ssl?.ca !== undefined) {
    props.push(['ssl.truststore.type', 'PEM'], ['ssl.truststore.certificates', ssl.ca]);
  }
  if (ssl?.cert !== undefined && ssl.key !== undefined) {
    props.push(
      ['ssl.keystore.type', 'PEM'],
      ['ssl.keystore.certificate.chain', ssl.cert],
      ['ssl.keystore.key', ssl.key],
    );
  }
  const text = props.map(([k, v]) => `${k}=${propertyValue(v)}\n`).join('');
  const summary = [
    protocol,
    ...(sasl ? [sasl.mechanism] : []),
    ...(ssl?.ca !== undefined ? ['own CA'] : []),
    ...(ssl?.cert !== undefined ? ['client certificate'] : []),
  ].join(', ');
  return { text, summary };
}

/** A value in java.util.Properties syntax: backslashes and line breaks escaped. */
function propertyValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/^ /, '\\ ');
}

function jaasQuote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

interface ToolRun {
  lines: string[];
  cpuSeconds: number;
}

/** Runs one class of kafka-tools; resolves with its output lines, rejects with them on failure. */
function runTool(
  java: string,
  kafkaLibs: string,
  className: string,
  args: string[],
  progress: (line: string) => void,
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      java,
      [
        '-Xms64m',
        '-Xmx512m',
        '-cp',
        `${kafkaLibs}/*`,
        `org.apache.kafka.tools.${className}`,
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines: string[] = [];
    let cpu = 0;
    // The JVM's CPU time, read while it still runs: /proc has nothing once it is gone.
    const sampler = setInterval(() => {
      if (child.pid !== undefined) cpu = Math.max(cpu, cpuSeconds(child.pid));
    }, 200);
    let lastSaid = 0;
    const onLine = (line: string) => {
      lines.push(line);
      if (Date.now() - lastSaid >= 5_000 && line.trim() !== '') {
        lastSaid = Date.now();
        progress(line.trim());
      }
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    child.once('error', (err) => {
      clearInterval(sampler);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearInterval(sampler);
      if (code === 0) resolve({ lines, cpuSeconds: cpu });
      else
        reject(
          new Error(
            `${className} failed (${signal ?? `exit ${code}`}):\n${lines.slice(-20).join('\n')}`,
          ),
        );
    });
  });
}

const producerSummary =
  /^(\d+) (steady state )?records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

/**
 * The summary lines ProducerPerformance prints last: the whole run's, then the steady state's
 * when there was a warm-up (the interval lines before them have no percentiles).
 */
export function parseProducerPerf(
  lines: readonly string[],
  recordBytes: number,
  cpu = 0,
): ProducerPerfFigures {
  const summaries = lines.map((l) => producerSummary.exec(l.trim())).filter((m) => m !== null);
  const figures = (m: RegExpExecArray) => {
    const n = (i: number) => Number(m[i]);
    return {
      records: n(1),
      recordsPerSec: n(3),
      mbPerSec: n(4),
      latencyMs: { avg: n(5), max: n(6), p50: n(7), p95: n(8), p99: n(9), p999: n(10) },
    };
  };
  const whole = summaries.find((m) => m[2] === undefined);
  const steady = summaries.find((m) => m[2] !== undefined);
  if (!whole) throw new Error(`no summary line in ProducerPerformance's output:\n${tail(lines)}`);
  return {
    ...figures(whole),
    recordBytes,
    cpuSeconds: cpu,
    ...(steady ? { steady: figures(steady) } : {}),
  };
}

/** ConsumerPerformance's CSV: a header line, then one line of figures. */
export function parseConsumerPerf(lines: readonly string[], cpu = 0): ConsumerPerfFigures {
  const headerAt = lines.findIndex((l) => l.startsWith('start.time,'));
  const header = lines[headerAt]?.split(',').map((s) => s.trim());
  const values = lines[headerAt + 1]?.split(',').map((s) => s.trim());
  if (headerAt < 0 || !header || !values || values.length !== header.length)
    throw new Error(`no figures in ConsumerPerformance's output:\n${tail(lines)}`);
  const field = (name: string): number => {
    const value = Number(values[header.indexOf(name)]);
    if (!Number.isFinite(value)) throw new Error(`ConsumerPerformance printed no ${name}`);
    return value;
  };
  return {
    records: field('data.consumed.in.nMsg'),
    recordsPerSec: field('nMsg.sec'),
    mbPerSec: field('MB.sec'),
    fetchRecordsPerSec: field('fetch.nMsg.sec'),
    fetchMbPerSec: field('fetch.MB.sec'),
    rebalanceMs: field('rebalance.time.ms'),
    cpuSeconds: cpu,
  };
}

/** EndToEndLatency's `Avg latency: X ms` and `Percentiles: 50th = a, 99th = b, 99.9th = c`. */
export function parseEndToEnd(
  lines: readonly string[],
  records: number,
  recordBytes: number,
  cpu = 0,
): EndToEndLatencyFigures {
  const text = lines.join('\n');
  const avg = /Avg latency: ([\d.]+) ms/.exec(text);
  const pct = /Percentiles: 50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(text);
  if (!avg || !pct) throw new Error(`no latencies in EndToEndLatency's output:\n${tail(lines)}`);
  return {
    records,
    recordBytes,
    latencyMs: {
      avg: Number(avg[1]),
      p50: Number(pct[1]),
      p99: Number(pct[2]),
      p999: Number(pct[3]),
    },
    cpuSeconds: cpu,
  };
}

function tail(lines: readonly string[]): string {
  return lines.slice(-20).join('\n');
}

/** From the name of the kafka-clients jar on the classpath. */
function kafkaVersionOf(kafkaLibs: string): string {
  const jar = readdirSync(kafkaLibs).find((f) => /^kafka-clients-.+\.jar$/.test(f));
  return jar?.slice('kafka-clients-'.length, -'.jar'.length) ?? 'unknown';
}

/** As the local stack finds it: $JAVA_HOME/bin/java, else `java` on PATH. */
export function defaultJava(): string {
  const home = process.env['JAVA_HOME'];
  if (home !== undefined && home !== '' && existsSync(join(home, 'bin', 'java')))
    return join(home, 'bin', 'java');
  return 'java';
}
