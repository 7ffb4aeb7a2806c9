import * as fs from 'node:fs';
import * as path from 'node:path';

import { ArtifactOptions, ensureArtifacts } from './artifacts';
import { JavaProcess, killStrays, removePids, savePids } from './java.process';
import {
  BrokerFiles,
  formatStorageOnce,
  formattedClusterId,
  isFormatted,
  spawnBroker,
  writeBrokerConfig,
} from './kafka.broker';
import { NODE_ID, PropertyValue, randomClusterId, SEPARATE_BROKER_ID } from './kafka.config';
import { choosePorts, freePort } from './ports';
import { waitBrokerReady, waitLogLine, waitRegistryReady } from './readiness';
import { Compatibility, setCompatibility, spawnRegistry } from './registry';
import { RegistryProxy, startRegistryProxy } from './registry.proxy';
import { StackError } from './stack.errors';
import {
  ensureStackSecurity,
  propertiesText,
  registryKafkaProperties,
  saslSslServerProperties,
  scramFormatArgs,
  secureClientEnv,
  StackSecurity,
  tlsHandshake,
} from './stack.security';
import { defaultJava, fileSize, noopLog, textSince } from './util';

export type { Compatibility } from './registry';

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
  /**
   * JVM heap flags of the broker, default ['-Xms1g', '-Xmx1g'] (Kafka's own `kafka-server-start.sh`
   * default). A broker holds some 45 KB of heap per partition: a stack the tests and benches have
   * left ~8,700 partitions on held 407 MB live, and with 512 MB spent a third of a core in G1 and
   * tripled the pipeline's p99 at 1,000 leads/s (bench/RESULTS.md, 2026-12-03 midday).
   */
  kafkaHeap?: string[];
  /** JVM heap flags of the registry, default ['-Xms64m', '-Xmx384m'] */
  registryHeap?: string[];
  /** extra/overriding broker settings, written into server.properties */
  serverProperties?: Record<string, PropertyValue>;
  /** `java` binary, default $JAVA_HOME/bin/java or java on PATH (Java 17+) */
  java?: string;
  /**
   * Global compatibility level PUT to <registryUrl>/config once the registry is up. Default 'BACKWARD'
   * (Confluent's default; Apicurio's own default is NONE). null leaves the registry's setting alone.
   */
  compatibility?: Compatibility | null;
  /**
   * 'plaintext' (default): one PLAINTEXT listener, an open registry. 'sasl_ssl': clients reach
   * the broker only over TLS with SCRAM-SHA-512/-256 (users added when the storage is formatted),
   * and the registry only over https with basic auth; certificates and passwords are made under
   * `<dataDir>/tls` on the first start. `clientEnv` says what a client then sets.
   */
  security?: 'plaintext' | 'sasl_ssl';
  /**
   * 'combined' (default): one JVM is broker and controller at once, as a development box runs
   * Kafka. 'separate': the controller is a JVM of its own (node 1, on controllerPort; a small heap)
   * and the broker another (node 2), as production runs KRaft. Then `killBroker` leaves the
   * controller up, and `startBroker` waits until the controller has fenced the killed broker
   * before it starts a new one: a combined node restarted after a SIGKILL acts on its stale
   * metadata until the old registration's session expires, and can drop transaction markers
   * (KAFKA-20734, docs/faults.md). Plaintext only.
   */
  controller?: 'combined' | 'separate';
  /** JVM heap flags of a separate controller, default ['-Xms64m', '-Xmx256m'] */
  controllerHeap?: string[];
}

export interface LocalStack {
  /** "127.0.0.1:port" */
  brokers: string;
  /** "http://127.0.0.1:port/apis/ccompat/v7" (empty when started with registry: false) */
  registryUrl: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  dataDir: string;
  /**
   * What a client of this stack sets: KAFKA_BROKERS, SCHEMA_REGISTRY_URL and
   * KAFKA_SECURITY_PROTOCOL, and with `security: 'sasl_ssl'` the KAFKA_SASL_*, KAFKA_SSL_CA_FILE
   * and SCHEMA_REGISTRY_* keys (passwords by file).
   */
  clientEnv: Record<string, string>;
  /** The certificates and users of a 'sasl_ssl' stack. */
  security: StackSecurity | undefined;
  /** the process logs, for diagnosing a failure (a separate controller's too) */
  logs: {
    broker: string;
    brokerServer: string;
    registry: string;
    controller?: string;
    controllerServer?: string;
  };
  /**
   * Stop the registry, then the broker, then a separate controller (SIGTERM, then SIGKILL after a
   * deadline) and wait until each exited.
   */
  stop(): Promise<void>;
  /**
   * SIGKILL the broker's JVM (no clean shutdown, as a crashed host) and wait until it exited; the
   * registry keeps running. For fault tests.
   */
  killBroker(): Promise<void>;
  /**
   * Start the broker again on the same data dir and ports (after killBroker) and wait until it
   * answers Metadata as a registered broker: topics, offsets and schemas are kept. With a separate
   * controller, not before the controller has fenced the killed broker.
   */
  startBroker(): Promise<void>;
}

/** Start a single-node KRaft broker (and Apicurio Registry on it) from the cached jars. */
export async function startStack(opts: StackOptions): Promise<LocalStack> {
  const log = opts.log ?? noopLog;
  const java = opts.java ?? defaultJava();
  const withRegistry = opts.registry ?? true;
  const dataDir = path.resolve(opts.dataDir);
  const logDir = path.join(dataDir, 'logs');
  const registryDir = path.join(dataDir, 'registry');
  const separate = opts.controller === 'separate';
  if (separate && opts.security === 'sasl_ssl')
    throw new StackError('a separate controller is for plaintext stacks only', 'bad_config');
  const logs = {
    broker: path.join(logDir, 'kafka.out'),
    brokerServer: path.join(logDir, 'kafka-server.log'),
    registry: path.join(logDir, 'registry.out'),
    ...(separate && {
      controller: path.join(logDir, 'controller.out'),
      controllerServer: path.join(logDir, 'controller-server.log'),
    }),
  };
  const dirs = nodeDirs(dataDir);
  const files: BrokerFiles = {
    ...dirs.broker,
    logDir,
    out: logs.broker,
    serverLog: logs.brokerServer,
  };
  const controllerFiles: BrokerFiles | undefined = separate
    ? { ...dirs.controller, logDir, out: logs.controller!, serverLog: logs.controllerServer! }
    : undefined;
  const mismatch = controllerLayoutMismatch(dataDir, separate);
  if (mismatch !== undefined)
    throw new StackError(mismatch, 'bad_config', { context: { dataDir } });
  for (const d of [files.kafkaDir, logDir, registryDir, files.logDirs])
    fs.mkdirSync(d, { recursive: true });
  if (controllerFiles) fs.mkdirSync(controllerFiles.logDirs, { recursive: true });

  const artifacts = await ensureArtifacts(opts);
  const classpath = `${artifacts.kafkaLibs}${path.sep}*`;

  // A parent that died without stop() (SIGKILL, OOM) may have left JVMs on this dataDir: they hold its lock and ports.
  await killStrays(dataDir, log);

  const ports = await choosePorts(dataDir, opts, withRegistry);
  const { kafkaPort, controllerPort, registryPort } = ports;
  const brokers = `127.0.0.1:${kafkaPort}`;
  const security =
    opts.security === 'sasl_ssl' ? await secureStack(dataDir, files, log) : undefined;
  // A secure registry is Apicurio on a loopback port behind the TLS + basic-auth proxy on registryPort.
  const apicurioPort = security === undefined ? registryPort : await freePort();
  const apicurioUrl = `http://127.0.0.1:${apicurioPort}/apis/ccompat/v7`;
  const registryUrl = !withRegistry
    ? ''
    : security === undefined
      ? apicurioUrl
      : `https://127.0.0.1:${registryPort}/apis/ccompat/v7`;
  const config = writeBrokerConfig(
    files,
    { kafkaPort, controllerPort },
    {
      ...(security !== undefined
        ? saslSslServerProperties(security, { kafkaPort, controllerPort })
        : {}),
      ...opts.serverProperties,
    },
    separate ? 'broker' : 'combined',
  );
  const controllerConfig =
    controllerFiles &&
    writeBrokerConfig(
      controllerFiles,
      { kafkaPort, controllerPort },
      opts.serverProperties ?? {},
      'controller',
    );
  let proxy: RegistryProxy | undefined;

  const procs: JavaProcess[] = [];
  const started = (p: JavaProcess): JavaProcess => {
    procs.push(p);
    savePids(dataDir, procs);
    return p;
  };
  const stopAll = async (): Promise<void> => {
    await proxy?.close();
    for (const p of [...procs].reverse()) await p.stop();
  };

  const brokerLogs = [logs.broker, logs.brokerServer];
  /** `place` records the new JVM among the stack's processes (first, so stop() ends it last). */
  const startBroker = async (place: (p: JavaProcess) => JavaProcess): Promise<JavaProcess> => {
    const t0 = Date.now();
    const broker = place(
      spawnBroker({
        java,
        classpath,
        heap: opts.kafkaHeap ?? ['-Xms1g', '-Xmx1g'],
        dataDir,
        files,
        config,
      }),
    );
    log(`kafka broker started (pid ${broker.pid}), waiting for ${brokers}`);
    await waitBrokerReady(
      broker,
      kafkaPort,
      opts.brokerTimeoutMs ?? 60_000,
      brokerLogs,
      security === undefined
        ? undefined
        : secureBrokerProbe(security, kafkaPort, logs.brokerServer),
      separate ? SEPARATE_BROKER_ID : NODE_ID,
    );
    log(`kafka broker ready on ${brokers} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return broker;
  };

  let broker: JavaProcess;
  let controller: JavaProcess | undefined;
  try {
    // A controller formatted before (a start cut short before the broker's format) keeps its id.
    const clusterId =
      (controllerFiles && formattedClusterId(controllerFiles.logDirs)) ?? randomClusterId();
    if (controllerFiles && controllerConfig) {
      await formatStorageOnce(
        java,
        classpath,
        controllerFiles,
        controllerConfig,
        log,
        [],
        clusterId,
      );
      const from = fileSize(controllerFiles.serverLog);
      controller = started(
        spawnBroker({
          name: 'kafka controller',
          java,
          classpath,
          heap: opts.controllerHeap ?? ['-Xms64m', '-Xmx256m'],
          dataDir,
          files: controllerFiles,
          config: controllerConfig,
        }),
      );
      log(`kafka controller started (pid ${controller.pid}), waiting for its quorum`);
      await waitLogLine(controller, {
        file: controllerFiles.serverLog,
        from,
        line: 'Kafka Server started',
        what: `the kafka controller on 127.0.0.1:${controllerPort}`,
        timeoutMs: opts.brokerTimeoutMs ?? 60_000,
      });
    }
    await formatStorageOnce(
      java,
      classpath,
      files,
      config,
      log,
      security !== undefined ? scramFormatArgs(security) : [],
      clusterId,
    );
    broker = await startBroker(started);

    if (withRegistry) {
      const t1 = Date.now();
      const registry = started(
        spawnRegistry({
          java,
          apicurioDir: artifacts.apicurioDir,
          registryDir,
          heap: opts.registryHeap ?? ['-Xms64m', '-Xmx384m'],
          dataDir,
          brokers,
          port: apicurioPort,
          logFile: logs.registry,
          ...(security !== undefined
            ? { configFile: propertiesText(registryKafkaProperties(security)) }
            : {}),
        }),
      );
      log(`apicurio registry started (pid ${registry.pid}), waiting for ${apicurioUrl}`);
      await waitRegistryReady(registry, broker, apicurioUrl, opts.registryTimeoutMs ?? 90_000, {
        registry: [logs.registry],
        broker: brokerLogs,
      });
      const compatibility = opts.compatibility === undefined ? 'BACKWARD' : opts.compatibility;
      if (compatibility !== null) await setCompatibility(apicurioUrl, compatibility);
      if (security !== undefined) {
        proxy = await startRegistryProxy({
          port: registryPort,
          upstream: `http://127.0.0.1:${apicurioPort}`,
          cert: fs.readFileSync(security.certFile, 'utf8'),
          key: fs.readFileSync(security.keyFile, 'utf8'),
          username: security.registry.username,
          password: security.registry.password,
        });
      }
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
  /** Where the controller's log stood when the broker was killed. */
  let killedAt = 0;
  return {
    brokers,
    registryUrl,
    kafkaPort,
    controllerPort,
    registryPort,
    dataDir,
    clientEnv: {
      KAFKA_BROKERS: brokers,
      ...(registryUrl !== '' ? { SCHEMA_REGISTRY_URL: registryUrl } : {}),
      // said explicitly even when PLAINTEXT: outside demo mode a service asks for it
      ...(security !== undefined
        ? secureClientEnv(security)
        : { KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT' }),
    },
    security,
    logs,
    stop: () => {
      stopping ??= stopAll().then(() => removePids(dataDir));
      return stopping;
    },
    async killBroker() {
      if (!broker.running) return;
      if (logs.controllerServer) killedAt = fileSize(logs.controllerServer);
      broker.child.kill('SIGKILL');
      await broker.exited;
      log(`kafka broker killed (pid ${broker.pid})`);
    },
    async startBroker() {
      if (stopping) throw new StackError('the stack was stopped', 'process_exited');
      if (broker.running) return;
      if (controller && logs.controllerServer) {
        // The killed broker's registration must be gone first: until its session expires the
        // new one is refused, and the broker would act on the metadata the old one left.
        await waitLogLine(controller, {
          file: logs.controllerServer,
          from: killedAt,
          line: `Fencing broker ${SEPARATE_BROKER_ID} at epoch`,
          what: 'the controller fencing the killed broker',
          timeoutMs: opts.brokerTimeoutMs ?? 60_000,
        });
        log('the controller fenced the killed broker');
      }
      const index = procs.indexOf(broker);
      broker = await startBroker((p) => {
        procs[index] = p;
        savePids(dataDir, procs);
        return p;
      });
    },
  };
}

/** Where each Kafka node of a stack keeps its config (kafkaDir) and its log.dirs, under dataDir. */
function nodeDirs(dataDir: string) {
  const node = (dir: string) => ({
    kafkaDir: path.join(dataDir, dir),
    logDirs: path.join(dataDir, dir, 'data'),
  });
  return { broker: node('kafka'), controller: node('kafka-controller') };
}

/**
 * Why `dataDir` cannot start with the controller layout asked for, or undefined when it can: a
 * formatted broker storage was formatted for one layout (a separate controller's storage beside
 * it, or none), and its metadata log names its quorum. A fresh data dir takes either.
 */
export function controllerLayoutMismatch(dataDir: string, separate: boolean): string | undefined {
  const dirs = nodeDirs(dataDir);
  if (!isFormatted(dirs.broker.logDirs)) return undefined;
  const wasSeparate = isFormatted(dirs.controller.logDirs);
  return wasSeparate === separate
    ? undefined
    : `${dataDir} was first started with ${wasSeparate ? 'a separate' : 'a combined'} controller; use another data dir`;
}

/**
 * The certificates and users of a 'sasl_ssl' stack. SCRAM users are written into the metadata log
 * by `format`, so a data dir first started without them cannot become secure later.
 */
async function secureStack(dataDir: string, files: BrokerFiles, log: (m: string) => void) {
  const fresh = !fs.existsSync(path.join(dataDir, 'tls'));
  if (fresh && isFormatted(files.logDirs))
    throw new StackError(
      `${dataDir} was first started without security: its storage has no SCRAM users; use another data dir`,
      'bad_config',
      { context: { dataDir } },
    );
  return ensureStackSecurity(dataDir, log);
}

/**
 * Ready once the SASL_SSL listener completes a TLS handshake with the stack's certificate and the
 * broker has logged its start since this spawn (KRaft logs it once the broker is unfenced). The
 * PLAINTEXT Metadata probe cannot speak SASL.
 */
function secureBrokerProbe(
  security: StackSecurity,
  port: number,
  serverLog: string,
): () => Promise<string | undefined> {
  const ca = fs.readFileSync(security.caFile, 'utf8');
  const from = fileSize(serverLog);
  return async () => {
    if (!(await tlsHandshake(port, ca))) return 'no TLS handshake on the SASL_SSL listener yet';
    return textSince(serverLog, from).includes('Kafka Server started')
      ? undefined
      : 'broker not started yet';
  };
}
