import * as fs from 'node:fs';
import * as path from 'node:path';

import { JavaProcess, spawnJava, stackMarker } from './java.process';
import { StackError } from './stack.errors';

export type Compatibility =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

/** The runner jar in an Apicurio app directory (as ensureArtifacts() returns it). */
export function findRunnerJar(dir: string): string {
  const jar = fs.readdirSync(dir).find((f) => f.endsWith('-runner.jar') || f === 'quarkus-run.jar');
  if (jar === undefined)
    throw new StackError(`no runner jar in ${dir}`, 'artifact_missing', { context: { dir } });
  return path.join(dir, jar);
}

/** JVM flags of Apicurio Registry (before `-jar`). */
export function registryJvmArgs(o: {
  heap: readonly string[];
  tmpDir: string;
  marker: string;
}): string[] {
  return [
    ...o.heap,
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:TieredStopAtLevel=1',
    `-Djava.io.tmpdir=${o.tmpDir}`,
    '-Djava.util.logging.manager=org.jboss.logmanager.LogManager',
    // Topic configs for the kafkasql-journal (and -snapshots, registry-events) topics Apicurio creates: every
    // apicurio.kafkasql.topic.<kafka topic config> property is passed on. Without these the journal (= all
    // schemas) would inherit the broker's retention and be deleted after log.retention.hours.
    '-Dapicurio.kafkasql.topic.retention.ms=-1',
    '-Dapicurio.kafkasql.topic.retention.bytes=-1',
    // Startup does one poll of the (normally empty) kafkasql-snapshots topic with this timeout: 5 s by default.
    // A snapshot missed by a too-short poll is harmless (the journal is kept forever and replayed in full).
    '-Dapicurio.kafkasql.consumer.poll.timeout=1000',
    o.marker,
  ];
}

/** Apicurio's settings: kafkasql storage on our broker, HTTP on 127.0.0.1:port, small pools. */
export function registryEnv(o: {
  brokers: string;
  port: number;
  tmpDir: string;
}): Record<string, string> {
  return {
    APICURIO_STORAGE_KIND: 'kafkasql',
    APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: o.brokers,
    QUARKUS_HTTP_PORT: String(o.port),
    QUARKUS_HTTP_HOST: '127.0.0.1',
    // kafkasql replays its journal into an in-memory H2; the default pool of 20-100 connections is wasted here
    APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
    APICURIO_STORAGE_SNAPSHOT_LOCATION: o.tmpDir,
    APICURIO_IMPORT_WORK_DIR: o.tmpDir,
  };
}

/** Spawn Apicurio Registry on the broker; readiness is waited for elsewhere. */
export function spawnRegistry(o: {
  java: string;
  apicurioDir: string;
  registryDir: string;
  heap: readonly string[];
  dataDir: string;
  brokers: string;
  port: number;
  logFile: string;
  /**
   * Written to <registryDir>/config/application.properties (mode 0600), which Quarkus reads from
   * its working directory: settings that hold secrets, kept off the command line.
   */
  configFile?: string;
}): JavaProcess {
  const runner = findRunnerJar(o.apicurioDir);
  const tmpDir = path.join(o.registryDir, 'tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  const configDir = path.join(o.registryDir, 'config');
  fs.rmSync(path.join(configDir, 'application.properties'), { force: true });
  if (o.configFile !== undefined) {
    fs.mkdirSync(configDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(configDir, 'application.properties'), o.configFile, { mode: 0o600 });
  }
  return spawnJava(
    'apicurio registry',
    o.java,
    [...registryJvmArgs({ heap: o.heap, tmpDir, marker: stackMarker(o.dataDir) }), '-jar', runner],
    o.registryDir,
    { ...process.env, ...registryEnv({ brokers: o.brokers, port: o.port, tmpDir }) },
    o.logFile,
  );
}

/** PUT the global compatibility level (Confluent's API, which Apicurio serves under /apis/ccompat/v7). */
export async function setCompatibility(
  registryUrl: string,
  compatibility: Compatibility,
): Promise<void> {
  const res = await fetch(`${registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  // Apicurio answers 409 when the rule exists already (a stack started again on its data
  // directory): nothing to do when it holds the level asked for.
  if (res.status === 409 && (await compatibilityOf(registryUrl)) === compatibility) return;
  if (res.status !== 200)
    throw new StackError(
      `PUT ${registryUrl}/config ${compatibility}: HTTP ${res.status} ${text}`,
      'registry_config_failed',
      { context: { registryUrl, status: res.status } },
    );
}

/** The registry's global compatibility level, or null when it cannot be read. */
async function compatibilityOf(registryUrl: string): Promise<string | null> {
  const res = await fetch(`${registryUrl}/config`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) return null;
  const body = (await res.json()) as { compatibilityLevel?: string; compatibility?: string };
  return body.compatibilityLevel ?? body.compatibility ?? null;
}
