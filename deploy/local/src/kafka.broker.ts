import * as fs from 'node:fs';
import * as path from 'node:path';

import { JavaProcess, spawnJava, stackMarker } from './java.process';
import {
  brokerJvmArgs,
  kafkaLog4j2,
  NodeRole,
  PropertyValue,
  randomClusterId,
  serverProperties,
} from './kafka.config';
import { StackError } from './stack.errors';
import { LogLine, run } from './util';

/** Where a Kafka node's files live under a stack's dataDir (the broker's, or a separate controller's). */
export interface BrokerFiles {
  /** the broker's working directory: server.properties, log4j2.xml */
  kafkaDir: string;
  /** its log.dirs: the topics' data and meta.properties */
  logDirs: string;
  /** process logs of every JVM */
  logDir: string;
  /** the broker's stdout/stderr, and its own log4j file */
  out: string;
  serverLog: string;
}

export interface BrokerConfigFiles {
  serverProps: string;
  log4jConfig: string;
}

/** Write server.properties and log4j2.xml; both are rewritten on every start. */
export function writeBrokerConfig(
  files: BrokerFiles,
  ports: { kafkaPort: number; controllerPort: number },
  extra: Record<string, PropertyValue>,
  role: NodeRole = 'combined',
): BrokerConfigFiles {
  const serverProps = path.join(files.kafkaDir, 'server.properties');
  // 0600: a secure stack's file holds the broker's own SCRAM password
  fs.writeFileSync(
    serverProps,
    serverProperties({ ...ports, logDirs: files.logDirs, extra, role }),
    { mode: 0o600 },
  );
  fs.chmodSync(serverProps, 0o600);
  const log4jConfig = path.join(files.kafkaDir, 'log4j2.xml');
  fs.writeFileSync(log4jConfig, kafkaLog4j2(files.serverLog));
  return { serverProps, log4jConfig };
}

/** Whether a node's log dir is formatted: `meta.properties` marks it. */
export function isFormatted(logDirs: string): boolean {
  return fs.existsSync(path.join(logDirs, 'meta.properties'));
}

/** The cluster id a node's log dir was formatted with, or undefined before its format. */
export function formattedClusterId(logDirs: string): string | undefined {
  if (!isFormatted(logDirs)) return undefined;
  const meta = fs.readFileSync(path.join(logDirs, 'meta.properties'), 'utf8');
  return /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim();
}

/** Format the KRaft storage once: meta.properties marks a formatted log dir, so a restart keeps its data. */
export async function formatStorageOnce(
  java: string,
  classpath: string,
  files: BrokerFiles,
  config: BrokerConfigFiles,
  log: LogLine,
  /** more `format` arguments, e.g. `--add-scram` for SCRAM users (they live in the metadata log) */
  extraArgs: readonly string[] = [],
  /** The nodes of one cluster are formatted with the same id; a new one by default. */
  clusterId: string = randomClusterId(),
): Promise<void> {
  if (isFormatted(files.logDirs)) return;
  log(`formatting KRaft storage in ${files.logDirs} (cluster ${clusterId})`);
  const res = await run(
    java,
    [
      '-cp',
      classpath,
      `-Dlog4j2.configurationFile=${config.log4jConfig}`,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      config.serverProps,
      ...extraArgs,
    ],
    { cwd: files.kafkaDir },
  );
  fs.writeFileSync(path.join(files.logDir, 'storage-format.log'), res.output);
  if (res.code !== 0)
    throw new StackError(
      `kafka.tools.StorageTool format failed (exit ${res.code ?? res.signal ?? '?'}):\n${res.output.trim().split('\n').slice(-20).join('\n')}`,
      'storage_format_failed',
      { context: { logDirs: files.logDirs } },
    );
}

/**
 * Spawn a Kafka node's JVM (`kafka.Kafka server.properties`): the broker, or a separate
 * controller when `name` says so; readiness is waited for elsewhere.
 */
export function spawnBroker(o: {
  name?: string;
  java: string;
  classpath: string;
  heap: readonly string[];
  dataDir: string;
  files: BrokerFiles;
  config: BrokerConfigFiles;
}): JavaProcess {
  return spawnJava(
    o.name ?? 'kafka broker',
    o.java,
    [
      ...brokerJvmArgs({
        heap: o.heap,
        log4jConfig: o.config.log4jConfig,
        logDir: o.files.logDir,
        marker: stackMarker(o.dataDir),
      }),
      '-cp',
      o.classpath,
      'kafka.Kafka',
      o.config.serverProps,
    ],
    o.files.kafkaDir,
    process.env,
    o.files.out,
  );
}
