import { ChildProcess, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ArtifactOptions, ensureArtifacts } from './artifacts';
import { fetchMetadata } from './kafka-probe';
import {
  canConnect,
  defaultJava,
  errorMessage,
  freePort,
  isPortFree,
  Logger,
  noopLog,
  pidAlive,
  pidCommandLine,
  run,
  sleep,
  tailFile,
} from './util';

export interface StackOptions extends ArtifactOptions {
  /** Everything lives here: server.properties, the broker's log dirs, process logs. Reusing it keeps topics and schemas. */
  dataDir: string;
  /** PLAINTEXT listener; default: the port used last time with this dataDir if still free, else a free one */
  kafkaPort?: number;
  /** CONTROLLER listener; same default rule */
  controllerPort?: number;
  /** Apicurio HTTP port; same default rule */
  registryPort?: number;
  /** start Apicurio Registry too (default true) */
  registry?: boolean;
  /** default 60 s: from spawning the broker until it answers Metadata as a registered broker */
  brokerTimeoutMs?: number;
  /** default 90 s: from spawning the registry until GET <registryUrl>/subjects answers 200 */
  registryTimeoutMs?: number;
  /** JVM heap flags of the broker, default ['-Xms256m', '-Xmx512m'] */
  kafkaHeap?: string[];
  /** JVM heap flags of the registry, default ['-Xms64m', '-Xmx384m'] */
  registryHeap?: string[];
  /** extra/overriding broker settings, written into server.properties */
  serverProperties?: Record<string, string | number | boolean>;
  /** `java` binary, default $JAVA_HOME/bin/java or java on PATH (Java 17+) */
  java?: string;
  /**
   * Global compatibility level PUT to <registryUrl>/config once the registry is up. Default 'BACKWARD'
   * (Confluent's default; Apicurio's own default is NONE). null leaves the registry's setting alone.
   */
  compatibility?: Compatibility | null;
}

export type Compatibility =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

export interface LocalStack {
  /** "127.0.0.1:port" */
  brokers: string;
  /** "http://127.0.0.1:port/apis/ccompat/v7" (empty when started with registry: false) */
  registryUrl: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  dataDir: string;
  /** the process logs, for diagnosing a failure */
  logs: { broker: string; brokerServer: string; registry: string };
  /** Stop the registry then the broker (SIGTERM, then SIGKILL after a deadline) and wait until both exited. */
  stop(): Promise<void>;
}

interface SavedPorts {
  kafkaPort?: number;
  controllerPort?: number;
  registryPort?: number;
}

const NODE_ID = 1;

/** Start a single-node KRaft broker (and Apicurio Registry on it) from the cached jars. */
export async function startStack(opts: StackOptions): Promise<LocalStack> {
  const log = opts.log ?? noopLog;
  const java = opts.java ?? defaultJava();
  const withRegistry = opts.registry ?? true;
  const dataDir = path.resolve(opts.dataDir);
  const kafkaDir = path.join(dataDir, 'kafka');
  const logDir = path.join(dataDir, 'logs');
  const registryDir = path.join(dataDir, 'registry');
  const kafkaLogDirs = path.join(kafkaDir, 'data');
  for (const d of [kafkaDir, logDir, registryDir, kafkaLogDirs])
    fs.mkdirSync(d, { recursive: true });
  const logs = {
    broker: path.join(logDir, 'kafka.out'),
    brokerServer: path.join(logDir, 'kafka-server.log'),
    registry: path.join(logDir, 'registry.out'),
  };

  const artifacts = await ensureArtifacts(opts);
  const classpath = `${artifacts.kafkaLibs}${path.sep}*`;

  // A parent that died without stop() (SIGKILL, OOM) may have left JVMs on this dataDir: they hold its lock and ports.
  await killStrays(dataDir, log);

  const ports = await choosePorts(dataDir, opts, withRegistry);
  const { kafkaPort, controllerPort, registryPort } = ports;
  const brokers = `127.0.0.1:${kafkaPort}`;
  const registryUrl = withRegistry ? `http://127.0.0.1:${registryPort}/apis/ccompat/v7` : '';

  const serverProps = path.join(kafkaDir, 'server.properties');
  fs.writeFileSync(
    serverProps,
    serverProperties({
      kafkaPort,
      controllerPort,
      logDirs: kafkaLogDirs,
      extra: opts.serverProperties ?? {},
    }),
  );
  const log4jConfig = path.join(kafkaDir, 'log4j2.xml');
  fs.writeFileSync(log4jConfig, kafkaLog4j2(logs.brokerServer));

  const procs: Proc[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of [...procs].reverse()) await p.stop();
  };

  try {
    // Format once: meta.properties marks a formatted log dir, so a restart keeps its data.
    if (!fs.existsSync(path.join(kafkaLogDirs, 'meta.properties'))) {
      const clusterId = randomClusterId();
      log(`formatting KRaft storage in ${kafkaLogDirs} (cluster ${clusterId})`);
      const res = await run(
        java,
        [
          '-cp',
          classpath,
          `-Dlog4j2.configurationFile=${log4jConfig}`,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          serverProps,
        ],
        {
          cwd: kafkaDir,
        },
      );
      fs.writeFileSync(path.join(logDir, 'storage-format.log'), res.output);
      if (res.code !== 0)
        throw new Error(
          `kafka.tools.StorageTool format failed (exit ${res.code ?? res.signal ?? '?'}):\n${res.output.trim().split('\n').slice(-20).join('\n')}`,
        );
    }

    const t0 = Date.now();
    const broker = spawnJava(
      'kafka broker',
      java,
      [
        ...(opts.kafkaHeap ?? ['-Xms256m', '-Xmx512m']),
        '-server',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${log4jConfig}`,
        `-Dkafka.logs.dir=${logDir}`,
        // so that killStrays() can recognise this JVM by its command line
        `-Dlead.router.stack=${dataDir}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        serverProps,
      ],
      kafkaDir,
      process.env,
      logs.broker,
    );
    procs.push(broker);
    savePids(dataDir, procs);
    log(`kafka broker started (pid ${broker.pid}), waiting for ${brokers}`);
    await waitBrokerReady(broker, kafkaPort, opts.brokerTimeoutMs ?? 60_000, logs);
    log(`kafka broker ready on ${brokers} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    if (withRegistry) {
      const t1 = Date.now();
      const runner = findRunnerJar(artifacts.apicurioDir);
      const tmp = path.join(registryDir, 'tmp');
      fs.mkdirSync(tmp, { recursive: true });
      const registry = spawnJava(
        'apicurio registry',
        java,
        [
          ...(opts.registryHeap ?? ['-Xms64m', '-Xmx384m']),
          '-XX:+UseSerialGC',
          '-XX:+ExitOnOutOfMemoryError',
          '-XX:TieredStopAtLevel=1',
          `-Djava.io.tmpdir=${tmp}`,
          '-Djava.util.logging.manager=org.jboss.logmanager.LogManager',
          // Topic configs for the kafkasql-journal (and -snapshots, registry-events) topics Apicurio creates: every
          // apicurio.kafkasql.topic.<kafka topic config> property is passed on. Without these the journal (= all
          // schemas) would inherit the broker's retention and be deleted after log.retention.hours.
          '-Dapicurio.kafkasql.topic.retention.ms=-1',
          '-Dapicurio.kafkasql.topic.retention.bytes=-1',
          // Startup does one poll of the (normally empty) kafkasql-snapshots topic with this timeout: 5 s by default.
          // A snapshot missed by a too-short poll is harmless (the journal is kept forever and replayed in full).
          '-Dapicurio.kafkasql.consumer.poll.timeout=1000',
          `-Dlead.router.stack=${dataDir}`,
          '-jar',
          runner,
        ],
        registryDir,
        {
          ...process.env,
          APICURIO_STORAGE_KIND: 'kafkasql',
          APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: brokers,
          QUARKUS_HTTP_PORT: String(registryPort),
          QUARKUS_HTTP_HOST: '127.0.0.1',
          // kafkasql replays its journal into an in-memory H2; the default pool of 20-100 connections is wasted here
          APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
          APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
          APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
          APICURIO_STORAGE_SNAPSHOT_LOCATION: tmp,
          APICURIO_IMPORT_WORK_DIR: tmp,
        },
        logs.registry,
      );
      procs.push(registry);
      savePids(dataDir, procs);
      log(`apicurio registry started (pid ${registry.pid}), waiting for ${registryUrl}`);
      await waitRegistryReady(
        registry,
        broker,
        registryUrl,
        opts.registryTimeoutMs ?? 90_000,
        logs,
      );
      const compatibility = opts.compatibility === undefined ? 'BACKWARD' : opts.compatibility;
      if (compatibility !== null) await setCompatibility(registryUrl, compatibility);
      log(
        `apicurio registry ready on ${registryUrl} in ${((Date.now() - t1) / 1000).toFixed(1)} s`,
      );
    }
  } catch (err) {
    await stopAll();
    removePids(dataDir);
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    brokers,
    registryUrl,
    kafkaPort,
    controllerPort,
    registryPort,
    dataDir,
    logs,
    stop: () => {
      stopping ??= stopAll().then(() => removePids(dataDir));
      return stopping;
    },
  };
}

// ---------------------------------------------------------------- config files

export function serverProperties(o: {
  kafkaPort: number;
  controllerPort: number;
  logDirs: string;
  extra: Record<string, string | number | boolean>;
}): string {
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': NODE_ID,
    // A static quorum (not the 4.x dynamic `controller.quorum.bootstrap.servers` + `format --standalone`):
    // the voter endpoint then lives in this file, not in the metadata log, so a restart on other ports works.
    'controller.quorum.voters': `${NODE_ID}@127.0.0.1:${o.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${o.kafkaPort},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${o.kafkaPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': o.logDirs,
    'num.partitions': 6,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 12,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'group.initial.rebalance.delay.ms': 0,
    // a dev/test box: a day of data, at most 1 GiB per partition, 128 MiB segments
    'log.retention.hours': 24,
    'log.retention.bytes': 1024 * 1024 * 1024,
    'log.segment.bytes': 128 * 1024 * 1024,
    'log.retention.check.interval.ms': 300_000,
    // After a SIGKILL the controller keeps the dead broker's registration until its session expires, and the
    // restarted broker cannot register before that (DuplicateBrokerRegistrationException): 9 s by default.
    'broker.heartbeat.interval.ms': 1000,
    'broker.session.timeout.ms': 4000,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    ...o.extra,
  };
  const lines = Object.entries(props).map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`);
  return `# written by deploy/local (lead-router local stack) on every start; edits are overwritten\n${lines.join('\n')}\n`;
}

function kafkaLog4j2(file: string): string {
  const esc = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- written by deploy/local: the broker logs to a file, not to stdout -->
<Configuration status="warn">
  <Appenders>
    <RollingFile name="file" fileName="${esc(file)}" filePattern="${esc(file)}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="kafka.controller" level="INFO"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogLoader" level="WARN"/>
  </Loggers>
</Configuration>
`;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints). */
function randomClusterId(): string {
  // One id in 32 starts with '-', which StorageTool's argument parser takes for an option.
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function findRunnerJar(dir: string): string {
  const jar = fs.readdirSync(dir).find((f) => f.endsWith('-runner.jar') || f === 'quarkus-run.jar');
  if (jar === undefined) throw new Error(`no runner jar in ${dir}`);
  return path.join(dir, jar);
}

// ---------------------------------------------------------------- ports

async function choosePorts(
  dataDir: string,
  opts: StackOptions,
  withRegistry: boolean,
): Promise<Required<SavedPorts>> {
  const file = path.join(dataDir, 'ports.json');
  let saved: SavedPorts = {};
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedPorts;
  } catch {
    // first start on this dataDir
  }
  const taken = new Set<number>();
  const pick = async (given: number | undefined, previous: number | undefined): Promise<number> => {
    if (given !== undefined && given > 0) {
      taken.add(given);
      return given;
    }
    // Prefer last time's port: clients holding the old address (a broker restart in a fault test) reconnect.
    if (previous !== undefined && !taken.has(previous) && (await isPortFree(previous))) {
      taken.add(previous);
      return previous;
    }
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  const kafkaPort = await pick(opts.kafkaPort, saved.kafkaPort);
  const controllerPort = await pick(opts.controllerPort, saved.controllerPort);
  const registryPort = withRegistry
    ? await pick(opts.registryPort, saved.registryPort)
    : (opts.registryPort ?? saved.registryPort ?? 0);
  for (const [name, port] of [
    ['kafka', kafkaPort],
    ['controller', controllerPort],
    ...(withRegistry ? [['registry', registryPort] as const] : []),
  ] as const) {
    if (!(await isPortFree(port)))
      throw new Error(`${name} port ${port} on 127.0.0.1 is already in use`);
  }
  const chosen = { kafkaPort, controllerPort, registryPort };
  fs.writeFileSync(file, `${JSON.stringify(chosen, null, 2)}\n`);
  return chosen;
}

// ---------------------------------------------------------------- processes

class Proc {
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private done = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.done = true;
        this.exitCode = code;
        this.exitSignal = signal;
        untrack(this);
        resolve();
      });
      child.once('error', () => {
        this.done = true;
        untrack(this);
        resolve();
      });
    });
    track(this);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.done;
  }

  describeExit(): string {
    return `${this.name} exited (${this.exitSignal ?? `code ${this.exitCode ?? '?'}`})`;
  }

  /** SIGTERM, wait up to graceMs, then SIGKILL and wait. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(graceMs).then(() => true),
    ]);
    if (timedOut && this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

function spawnJava(
  name: string,
  java: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Proc {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(
    fd,
    `\n===== ${new Date().toISOString()} starting ${name}: ${java} ${args.join(' ')}\n`,
  );
  try {
    // Not detached: the JVM stays in our process group, so a Ctrl-C on the terminal reaches it too.
    const child = spawn(java, args, { cwd, env, stdio: ['ignore', fd, fd] });
    return new Proc(name, child, logFile);
  } finally {
    fs.closeSync(fd);
  }
}

async function waitBrokerReady(
  broker: Proc,
  port: number,
  timeoutMs: number,
  logs: LocalStack['logs'],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'port not open';
  while (Date.now() < deadline) {
    if (!broker.running)
      throw new Error(
        `${broker.describeExit()} before it was ready\n${logTails([logs.broker, logs.brokerServer])}`,
      );
    if (await canConnect(port, '127.0.0.1', 1000)) {
      try {
        const md = await fetchMetadata(port, '127.0.0.1', 3000);
        if (md.brokers.some((b) => b.nodeId === NODE_ID)) return;
        lastError = 'broker not registered yet (Metadata lists no broker)';
      } catch (err) {
        lastError = errorMessage(err);
      }
    }
    await sleep(250);
  }
  await broker.stop(5_000);
  throw new Error(
    `kafka broker not ready on 127.0.0.1:${port} after ${timeoutMs / 1000} s (${lastError})\n${logTails([logs.broker, logs.brokerServer])}`,
  );
}

async function waitRegistryReady(
  registry: Proc,
  broker: Proc,
  registryUrl: string,
  timeoutMs: number,
  logs: LocalStack['logs'],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (!registry.running)
      throw new Error(
        `${registry.describeExit()} before it was ready\n${logTails([logs.registry])}`,
      );
    if (!broker.running)
      throw new Error(
        `${broker.describeExit()} while the registry was starting\n${logTails([logs.broker, logs.brokerServer])}`,
      );
    try {
      const res = await fetch(`${registryUrl}/subjects`, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = errorMessage(err);
    }
    await sleep(300);
  }
  throw new Error(
    `apicurio registry not ready at ${registryUrl} after ${timeoutMs / 1000} s (${lastError})\n${logTails([logs.registry])}`,
  );
}

async function setCompatibility(registryUrl: string, compatibility: Compatibility): Promise<void> {
  const res = await fetch(`${registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200)
    throw new Error(`PUT ${registryUrl}/config ${compatibility}: HTTP ${res.status} ${text}`);
}

function logTails(files: string[]): string {
  return files.map((f) => `----- tail of ${f}\n${tailFile(f, 30)}`).join('\n');
}

// ---------------------------------------------------------------- stray JVMs and exit cleanup

function savePids(dataDir: string, procs: Proc[]): void {
  fs.writeFileSync(
    path.join(dataDir, 'pids.json'),
    `${JSON.stringify(procs.map((p) => ({ name: p.name, pid: p.pid })))}\n`,
  );
}

function removePids(dataDir: string): void {
  fs.rmSync(path.join(dataDir, 'pids.json'), { force: true });
}

/** Kill JVMs a dead parent left on this dataDir (recognised by -Dlead.router.stack=<dataDir> on their command line). */
async function killStrays(dataDir: string, log: Logger): Promise<void> {
  let entries: { name: string; pid: number }[] = [];
  try {
    entries = JSON.parse(fs.readFileSync(path.join(dataDir, 'pids.json'), 'utf8')) as {
      name: string;
      pid: number;
    }[];
  } catch {
    return;
  }
  for (const e of entries) {
    if (!Number.isInteger(e.pid) || e.pid <= 0 || !pidAlive(e.pid)) continue;
    const cmd = pidCommandLine(e.pid);
    if (cmd === undefined || !cmd.includes(`-Dlead.router.stack=${dataDir} `)) continue;
    log(`killing a stray ${e.name} (pid ${e.pid}) left on ${dataDir}`);
    try {
      process.kill(e.pid, 'SIGKILL');
    } catch {
      continue;
    }
    const deadline = Date.now() + 10_000;
    while (pidAlive(e.pid) && Date.now() < deadline) await sleep(100);
  }
  removePids(dataDir);
}

const live = new Set<Proc>();
let hooksInstalled = false;

function track(p: Proc): void {
  live.add(p);
  installHooks();
}

function untrack(p: Proc): void {
  live.delete(p);
}

function killAllNow(): void {
  for (const p of live) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The parent exiting without stop() (process.exit, an uncaught exception) must not leave JVMs behind:
 * kill them synchronously in 'exit'. For SIGINT/SIGTERM/SIGHUP, when nobody else handles the signal
 * (so it would kill us without 'exit' firing), kill the JVMs and re-raise it to keep the default behaviour.
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      if (process.listenerCount(sig) > 1) return; // the application handles it (and will call stop())
      killAllNow();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}
