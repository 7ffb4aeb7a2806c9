import * as fs from 'node:fs';
import * as path from 'node:path';

import { StackError } from './stack.errors';
import { defaultCacheDir, lastLines, LogLine, noopLog, pidAlive, run, sleep } from './util';

export const DEFAULT_KAFKA_VERSION = '4.4.0';
/** 3.0.x is the last Apicurio line that runs on Java 17 (3.1+ need Java 21). */
export const DEFAULT_APICURIO_VERSION = '3.0.9';
/**
 * Pinned so `mvn` never resolves "latest" from repository metadata. Not 3.8.x: it reads the tar.gz's descriptor
 * and fails, because apicurio-registry-app's parent POM (io.apicurio:apicurio-registry:3.0.9) is not on Central.
 */
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.9.0';
/** Written last, after a fetch completed; a directory without it is fetched again. */
const MARKER = '.complete';

export interface ArtifactOptions {
  /** default `${LEAD_ROUTER_CACHE:-~/.cache/lead-router}` */
  cacheDir?: string;
  /** default 4.4.0 (env KAFKA_VERSION is read by the CLI, not here) */
  kafkaVersion?: string;
  /** default 3.0.9 */
  apicurioVersion?: string;
  log?: LogLine;
  /** the fetch-only POM; default: found by walking up from this file to deploy/local/maven/kafka/pom.xml */
  pomFile?: string;
  /** `mvn` binary; default `mvn` from PATH */
  mvn?: string;
}

export interface Artifacts {
  /** directory of Kafka jars: the classpath is `<kafkaLibs>/*` */
  kafkaLibs: string;
  /** directory holding the Apicurio Registry runner jar (and its lib/) */
  apicurioDir: string;
}

/** Fetch Kafka's jars and Apicurio Registry with Maven into the cache, once; skips what is already complete. */
export async function ensureArtifacts(opts: ArtifactOptions = {}): Promise<Artifacts> {
  const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir());
  const kafkaVersion = opts.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
  const apicurioVersion = opts.apicurioVersion ?? DEFAULT_APICURIO_VERSION;
  const log = opts.log ?? noopLog;
  const mvn = opts.mvn ?? 'mvn';
  fs.mkdirSync(cacheDir, { recursive: true });

  const kafkaHome = path.join(cacheDir, `kafka-${kafkaVersion}`);
  const kafkaLibs = path.join(kafkaHome, 'libs');
  const apicurioHome = path.join(cacheDir, `apicurio-${apicurioVersion}`);

  const release = await acquireLock(path.join(cacheDir, '.fetch.lock'), log);
  try {
    if (!isComplete(kafkaHome)) {
      const pom = opts.pomFile ?? findKafkaPom();
      log(`fetching Kafka ${kafkaVersion} jars into ${kafkaLibs} (mvn)`);
      const t0 = Date.now();
      fs.rmSync(kafkaHome, { recursive: true, force: true });
      fs.mkdirSync(kafkaHome, { recursive: true });
      await mvnOrThrow(
        mvn,
        [
          '-q',
          '-B',
          '-f',
          pom,
          `${DEPENDENCY_PLUGIN}:copy-dependencies`,
          '-DincludeScope=runtime',
          `-DoutputDirectory=${kafkaLibs}`,
          `-Dkafka.version=${kafkaVersion}`,
        ],
        kafkaHome,
      );
      const jars = fs.readdirSync(kafkaLibs).filter((f) => f.endsWith('.jar'));
      if (!jars.some((j) => j.startsWith('kafka_2.13-')))
        throw new StackError(
          `mvn finished but ${kafkaLibs} has no kafka_2.13 jar`,
          'artifact_missing',
          {
            context: { dir: kafkaLibs },
          },
        );
      fs.writeFileSync(
        path.join(kafkaHome, MARKER),
        `${new Date().toISOString()} ${jars.length} jars\n`,
      );
      log(
        `Kafka ${kafkaVersion}: ${jars.length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }

    if (!isComplete(apicurioHome)) {
      log(`fetching Apicurio Registry ${apicurioVersion} into ${apicurioHome} (mvn)`);
      const t0 = Date.now();
      fs.rmSync(apicurioHome, { recursive: true, force: true });
      fs.mkdirSync(apicurioHome, { recursive: true });
      // unpack (not copy + tar): no 100 MB tarball kept around, and no dependency on a `tar` binary.
      // Run outside any project; markers go to a scratch dir we delete.
      const markers = path.join(apicurioHome, '.mvn-markers');
      await mvnOrThrow(
        mvn,
        [
          '-q',
          '-B',
          `${DEPENDENCY_PLUGIN}:unpack`,
          `-Dartifact=io.apicurio:apicurio-registry-app:${apicurioVersion}:tar.gz:all`,
          `-DoutputDirectory=${path.join(apicurioHome, 'app')}`,
          `-DmarkersDirectory=${markers}`,
        ],
        apicurioHome,
      );
      fs.rmSync(markers, { recursive: true, force: true });
      fs.rmSync(path.join(apicurioHome, 'target'), { recursive: true, force: true });
      const runner = findApicurioRunner(path.join(apicurioHome, 'app'));
      fs.writeFileSync(path.join(apicurioHome, MARKER), `${new Date().toISOString()} ${runner}\n`);
      log(
        `Apicurio Registry ${apicurioVersion}: unpacked in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    release();
  }

  const runner = findApicurioRunner(path.join(apicurioHome, 'app'));
  return { kafkaLibs, apicurioDir: path.dirname(runner) };
}

/**
 * The runnable jar of an unpacked Apicurio Registry app: the legacy `*-runner.jar` (3.0.x ships that,
 * with its jars in lib/) or a fast-jar `quarkus-app/quarkus-run.jar`.
 */
export function findApicurioRunner(dir: string): string {
  const queue: { dir: string; depth: number }[] = [{ dir, depth: 0 }];
  const fastJars: string[] = [];
  while (queue.length > 0) {
    const next = queue.shift();
    if (next === undefined) break;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(next.dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = path.join(next.dir, e.name);
      if (e.isFile() && e.name.endsWith('-runner.jar')) return full;
      if (e.isFile() && e.name === 'quarkus-run.jar') fastJars.push(full);
      if (e.isDirectory() && e.name !== 'lib' && next.depth < 3)
        queue.push({ dir: full, depth: next.depth + 1 });
    }
  }
  const fast = fastJars[0];
  if (fast !== undefined) return fast;
  throw new StackError(
    `no Apicurio runner jar (*-runner.jar or quarkus-run.jar) under ${dir}`,
    'artifact_missing',
    { context: { dir } },
  );
}

/** Locate deploy/local/maven/kafka/pom.xml from wherever this file was compiled to or is run from. */
export function findKafkaPom(): string {
  const tried: string[] = [];
  const starts = [__dirname, process.cwd()];
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      for (const rel of [
        path.join('maven', 'kafka', 'pom.xml'),
        path.join('deploy', 'local', 'maven', 'kafka', 'pom.xml'),
      ]) {
        const candidate = path.join(dir, rel);
        tried.push(candidate);
        if (fs.existsSync(candidate)) return candidate;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new StackError(
    `cannot find deploy/local/maven/kafka/pom.xml (looked upwards from ${starts.join(' and ')}); pass pomFile`,
    'artifact_missing',
  );
}

function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, MARKER));
}

async function mvnOrThrow(mvn: string, args: string[], cwd: string): Promise<void> {
  const res = await run(mvn, args, { cwd });
  if (res.code !== 0) {
    throw new StackError(
      `${mvn} ${args.join(' ')} failed (exit ${res.code ?? res.signal ?? '?'}):\n${lastLines(res.output, 40)}`,
      'artifact_fetch_failed',
      { context: { cwd } },
    );
  }
}

/** A cross-process lock (mkdir is atomic) so parallel test workers fetch once. */
async function acquireLock(
  lockDir: string,
  log: LogLine,
  timeoutMs = 15 * 60_000,
): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  const pidFile = path.join(lockDir, 'pid');
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(pidFile, String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Held: by a live process (wait), or stale (holder died: break it).
    let holder = NaN;
    try {
      holder = Number(fs.readFileSync(pidFile, 'utf8').trim());
    } catch {
      // the holder may be between mkdir and writing its pid; treat as stale only when old
    }
    const ageMs = ageOf(lockDir);
    if (
      (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) ||
      (Number.isNaN(holder) && ageMs > 10_000)
    ) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new StackError(
        `timed out waiting for the fetch lock ${lockDir} (held by pid ${holder})`,
        'fetch_lock_timeout',
        { context: { lockDir, holder } },
      );
    if (!announced) {
      log(`waiting for another fetch (pid ${holder}) to finish`);
      announced = true;
    }
    await sleep(500);
  }
}

function ageOf(p: string): number {
  try {
    return Date.now() - fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}
