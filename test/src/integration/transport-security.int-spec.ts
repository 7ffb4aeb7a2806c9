import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadTransportConfig } from '@lead-router/config';
import { AvroCodec, createKafka } from '@lead-router/kafka';
import { freePort, startStack, type LocalStack } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, serviceEntry, type NormalizedLead } from '@lead-router/schemas';
import {
  readTopic,
  startService,
  uniquePrefix,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import { Agent, fetch } from 'undici';

const repoRoot = resolve(__dirname, '..', '..', '..');
const leadctl = resolve(repoRoot, 'tools', 'leadctl', 'dist', 'main.js');
const logger = createLogger('transport-security-int', 'silent');
/** Kafka clients that give up quickly: every failure below is expected to be final. */
const quick = { retry: { initialRetryTime: 100, retries: 1, maxRetryTime: 500 } };

function without(env: Record<string, string>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !keys.includes(k)));
}

/** The runner's environment without its own KAFKA_* and SCHEMA_REGISTRY_* keys. */
function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => e[1] !== undefined && !/^(KAFKA_|SCHEMA_REGISTRY_)/.test(e[0]),
    ),
  );
}

function runLeadctl(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const inherited = inheritedEnv();
  return new Promise((done) => {
    execFile(
      process.execPath,
      [leadctl, ...args],
      { cwd: repoRoot, env: { ...inherited, ...env }, timeout: 180_000 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a service until it exits, with only `env`'s Kafka and registry keys; its code and output. */
function runToExit(
  name: 'normalizer',
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [join(repoRoot, serviceEntry(name).entry)], {
    env: { ...inheritedEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => chunks.push(b));
  child.stderr.on('data', (b: Buffer) => chunks.push(b));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((done) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, output: Buffer.concat(chunks).toString('utf8') });
    }),
  );
}

/**
 * The local stack in its secure mode: the broker's only client listener is SASL_SSL (SCRAM users
 * added at format time, a CA and certificate made with openssl), and the registry answers only
 * over https with basic auth. Services, leadctl and a test client reach it with the env keys a
 * user sets; wrong or missing credentials are refused.
 */
describe('transport security: Kafka over SASL_SSL with SCRAM, registry over https with basic auth', () => {
  let stack: LocalStack;
  let env: Record<string, string>;
  const services: ServiceProcess[] = [];
  const prefix = uniquePrefix('transport');
  const { topics } = prefixedTopics(prefix);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lead-router-transport-'));
    stack = await startStack({
      dataDir: join(dir, 'stack'),
      security: 'sasl_ssl',
      // A shared 2-core machine under load has taken over a minute to bring a broker up.
      brokerTimeoutMs: 180_000,
      registryTimeoutMs: 180_000,
    });
    env = { ...stack.clientEnv, TOPIC_PREFIX: prefix };
  });
  after(async () => {
    for (const s of services) await s.stop();
    await stack?.stop();
  });

  it('leadctl creates the topics and registers the schemas with only the env keys set', async () => {
    const run = await runLeadctl(['topics', 'setup'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      new RegExp(`^${topics.raw.replace(/\./g, '\\.')}: \\d+ partitions`, 'm'),
    );
  });

  it('a lead posted to ingest reaches leads.normalized, read back over SASL_SSL', async () => {
    const start = async (name: 'ingest' | 'normalizer', extra: Record<string, string> = {}) => {
      const port = await freePort();
      const service = await startService(
        name,
        {
          ...env,
          LEAD_ROUTER_MODE: 'demo',
          [serviceEntry(name).port.env]: String(port),
          HTTP_HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          ...extra,
        },
        { port, logDir: join(dir, 'logs'), healthTimeoutMs: 120_000 },
      );
      services.push(service);
      return service;
    };
    const [ingest] = await Promise.all([
      start('ingest', { INGEST_API_KEYS: 'key-transport:web-form' }),
      start('normalizer'),
    ]);
    const res = await fetch(`${ingest!.url}/v1/leads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer key-transport' },
      body: JSON.stringify({ email: 'tls.lead@acme.com', company: 'Acme' }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { lead_id } = (await res.json()) as { lead_id: string };

    const transport = loadTransportConfig(stack.clientEnv);
    const kafka = createKafka({
      brokers: [stack.brokers],
      clientId: 'transport-int',
      logger,
      ...transport.kafka,
    });
    const codec = AvroCodec.connect(stack.registryUrl, transport.registry);
    let found: NormalizedLead | undefined;
    await waitFor(
      async () => {
        const records = await readTopic<NormalizedLead>(
          kafka,
          codec,
          topics.normalized,
          'NormalizedLead',
        );
        found = records.find((r) => r.key === lead_id)?.value;
        return found !== undefined;
      },
      { timeoutMs: 60_000, what: `lead ${lead_id} on ${topics.normalized}` },
    );
    assert.equal(found?.lead_id, lead_id);
  });

  it('refuses a wrong SCRAM password: a service exits 1 naming SASL authentication, never the password', async () => {
    const wrong = {
      ...without(env, 'KAFKA_SASL_PASSWORD_FILE'),
      KAFKA_SASL_PASSWORD: 'not-the-password',
    };
    // Run to its exit (startService would wait for a /health that never comes).
    const port = await freePort();
    const { code, output } = await runToExit('normalizer', {
      ...wrong,
      LEAD_ROUTER_MODE: 'demo',
      [serviceEntry('normalizer').port.env]: String(port),
      HTTP_HOST: '127.0.0.1',
    });
    assert.equal(code, 1, output);
    const authFailed = /SASL SCRAM SHA512 authentication failed/;
    assert.match(output, authFailed);
    assert.match(output, /normalizer failed to start/);
    assert.doesNotMatch(output, /not-the-password/);

    // The same keys in any client (leadctl and the benches read them alike): the same refusal.
    const client = createKafka({
      brokers: [stack.brokers],
      clientId: 'transport-int-wrong-password',
      logger,
      ...loadTransportConfig(wrong).kafka,
      overrides: quick,
    }).admin();
    await assert.rejects(client.connect(), authFailed);
    await client.disconnect();
  });

  it('refuses a PLAINTEXT client, and a TLS client that does not trust the stack CA', async () => {
    const plaintext = createKafka({
      brokers: [stack.brokers],
      clientId: 'transport-int-plaintext',
      logger,
      overrides: quick,
    }).admin();
    await assert.rejects(plaintext.connect());
    await plaintext.disconnect();

    // SASL_SSL with the right user but the system CAs only: the broker's certificate is refused.
    const untrusting = loadTransportConfig(without(stack.clientEnv, 'KAFKA_SSL_CA_FILE'));
    const admin = createKafka({
      brokers: [stack.brokers],
      clientId: 'transport-int-untrusted',
      logger,
      ...untrusting.kafka,
      overrides: quick,
    }).admin();
    await assert.rejects(admin.connect(), /certificate/i);
    await admin.disconnect();
  });

  it('the registry refuses no or wrong credentials (401) and serves the right ones', async () => {
    const transport = loadTransportConfig(stack.clientEnv);
    const ca = new Agent({ connect: { ca: transport.registry.ca } });
    const get = (authorization?: string) =>
      fetch(`${stack.registryUrl}/subjects`, {
        dispatcher: ca,
        ...(authorization !== undefined ? { headers: { authorization } } : {}),
      });
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const auth = transport.registry.auth!;

    assert.equal((await get()).status, 401);
    assert.equal((await get(basic(auth.username, 'wrong-password'))).status, 401);
    const ok = await get(basic(auth.username, auth.password));
    assert.equal(ok.status, 200);
    assert.ok(((await ok.json()) as string[]).includes(`${topics.raw}-value`));

    // The codec the services use: refused with a wrong password, registers with the right one.
    const wrong = AvroCodec.connect(stack.registryUrl, {
      ca: transport.registry.ca!,
      auth: { username: auth.username, password: 'wrong-password' },
    });
    await assert.rejects(wrong.registerTopic(topics.raw, 'RawLead'), /401/);
    const right = AvroCodec.connect(stack.registryUrl, transport.registry);
    assert.ok((await right.registerTopic(topics.raw, 'RawLead')) > 0);
    await ca.close();
  });
});
