/**
 * Safe by default (issue 14, point 1): every service of the manifest, started outside demo mode
 * (LEAD_ROUTER_MODE unset) without its secrets, exits non-zero at once naming each missing key; a
 * demo secret given outside demo mode is refused by name; and with its own secrets every service
 * starts and answers /health. docs/security.md#secrets-and-demo-mode lists what each one needs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@lead-router/local-stack';
import { serviceManifest, type ServiceName } from '@lead-router/schemas';
import {
  startService,
  testStack,
  uniquePrefix,
  type ServiceProcess,
  type TestStack,
} from '@lead-router/testing';
import { Pool } from 'pg';

const repoRoot = resolve(__dirname, '..', '..', '..');
const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env['REDIS_URL'] || 'redis://127.0.0.1:6379';

/** The public demo values `npm start` uses (services/ingest, services/sink-webhook). */
const DEMO_API_KEY = 'lr_demo_key_web_form';
const DEMO_WEBHOOK_SECRET = 'whsec_bGVhZC1yb3V0ZXItZGVtby1zZWNyZXQtMzJieXRlcyE=';

/** What every service needs outside demo mode. */
const PLATFORM_KEYS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'KAFKA_SECURITY_PROTOCOL'];

/** What each service needs besides; a service missing here is held to the platform keys. */
const OWN_KEYS: Partial<Record<ServiceName, string[]>> = {
  ingest: ['INGEST_API_KEYS'],
  'source-fetcher': ['REDIS_URL'],
  router: ['ROUTING_RULES_FILE'],
  indexer: ['PG_URL'],
  'sink-webhook': ['ROUTING_RULES_FILE', 'REDIS_URL', 'WEBHOOK_SECRET'],
  'sink-postgres': ['ROUTING_RULES_FILE', 'REDIS_URL', 'PG_URL'],
  'sink-salesforce': ['ROUTING_RULES_FILE', 'REDIS_URL'],
  'sink-hubspot': ['ROUTING_RULES_FILE', 'REDIS_URL'],
};

/** Only what any process gets from a login shell; LEAD_ROUTER_MODE deliberately absent. */
const bareEnv = (): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '/usr/bin:/bin',
  HOME: process.env['HOME'] ?? tmpdir(),
});

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a service's built entry with exactly `env` until it exits; fails the test if it does not. */
function runToExit(name: ServiceName, env: Record<string, string>, timeoutMs = 60_000) {
  const entry = serviceManifest.find((s) => s.name === name)!.entry;
  const started = Date.now();
  const child = spawn(process.execPath, [join(repoRoot, entry)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise<Exit>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(
        new Error(`${name} still running after ${timeoutMs} ms; it should have refused to start`),
      );
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs `task` over `items`, `width` at a time (the services load Nest on two cores). */
async function inBatches<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map(task))));
  }
  return results;
}

describe('safe by default: outside demo mode a service needs its own secrets', () => {
  let stack: TestStack;
  let rulesFile: string;
  let ownSecrets: Record<string, string>;
  const running: ServiceProcess[] = [];
  /** The trace index's and the leads table's names start with it (and their companions'). */
  const table = `safe_${randomBytes(4).toString('hex')}`;

  before(async () => {
    stack = await testStack();
    const dir = mkdtempSync(join(tmpdir(), 'lead-router-safe-defaults-'));
    // The demo rule set names a webhook (WEBHOOK_SECRET), a Salesforce (SALESFORCE_CLIENT_ID,
    // SALESFORCE_CLIENT_SECRET) and a HubSpot (HUBSPOT_TOKEN) destination.
    rulesFile = join(dir, 'rules.yaml');
    copyFileSync(join(repoRoot, 'deploy', 'local', 'rules', 'demo.yaml'), rulesFile);
    ownSecrets = {
      LEAD_ROUTER_MODE: 'production',
      KAFKA_BROKERS: stack.brokers.join(','),
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
      INGEST_API_KEYS: `lr_${randomBytes(24).toString('base64url')}:web-form`,
      WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
      ROUTING_RULES_FILE: rulesFile,
      REDIS_URL,
      PG_URL,
      SALESFORCE_CLIENT_ID: randomBytes(12).toString('hex'),
      SALESFORCE_CLIENT_SECRET: randomBytes(24).toString('hex'),
      HUBSPOT_TOKEN: `pat-${randomBytes(16).toString('hex')}`,
    };
  });

  after(async () => {
    await Promise.all(running.map((s) => s.stop()));
    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    try {
      const { rows } = await pool.query<{ name: string }>(
        "select tablename as name from pg_tables where schemaname = 'public' and tablename like $1",
        [`${table}\\_%`],
      );
      for (const { name } of rows) await pool.query(`drop table if exists public."${name}"`);
    } finally {
      await pool.end();
    }
  });

  it('every service of the manifest exits non-zero at once, naming each missing key', async () => {
    const exits = await inBatches(serviceManifest, 2, async (s) => ({
      name: s.name,
      exit: await runToExit(s.name, bareEnv()),
    }));
    for (const { name, exit } of exits) {
      assert.equal(exit.code, 1, `${name} exit code; stderr:\n${exit.stderr}`);
      // Loading the code is all of it (seconds; tens on a saturated machine): no registry wait
      // (300 s by default), no retry.
      assert.ok(exit.ms < 90_000, `${name} took ${exit.ms} ms to refuse`);
      for (const key of [...PLATFORM_KEYS, ...(OWN_KEYS[name] ?? [])]) {
        assert.match(
          exit.stderr,
          new RegExp(`^  - ${key}: not set; ${name} needs .* \\(only demo mode`, 'm'),
          `${name} should name ${key}; stderr:\n${exit.stderr}`,
        );
      }
      // The same lines, as a structured log line for a log collector.
      assert.match(exit.stdout, /"level":"fatal".*"type":"ConfigError"/);
    }
  });

  it('refuses the demo API key (as itself or hashed) and the demo webhook secret by name', async () => {
    const hashed = `sha256:${createHash('sha256').update(DEMO_API_KEY).digest('hex')}`;
    const cases: [ServiceName, string, string][] = [
      ['ingest', 'INGEST_API_KEYS', `${DEMO_API_KEY}:web-form`],
      ['ingest', 'INGEST_API_KEYS', `${ownSecrets['INGEST_API_KEYS']},${hashed}:web-form`],
      ['sink-webhook', 'WEBHOOK_SECRET', DEMO_WEBHOOK_SECRET],
    ];
    const exits = await inBatches(cases, 2, ([name, key, value]) =>
      runToExit(name, { ...bareEnv(), ...ownSecrets, [key]: value }),
    );
    exits.forEach((exit, i) => {
      const [name, key] = cases[i]!;
      assert.equal(exit.code, 1, `${name} exit code; stderr:\n${exit.stderr}`);
      assert.match(exit.stderr, new RegExp(`^  - ${key}: the demo secret`, 'm'));
      assert.equal(exit.stderr.match(/^ {2}- /gm)?.length, 1, `only ${key}:\n${exit.stderr}`);
      for (const secret of [DEMO_API_KEY, hashed.slice(7), DEMO_WEBHOOK_SECRET]) {
        assert.ok(!exit.stderr.includes(secret) && !exit.stdout.includes(secret), 'no value');
      }
    });
  });

  it('a CRM sink whose rule set names a credential it cannot read exits naming it', async () => {
    const { HUBSPOT_TOKEN: _dropped, ...withoutToken } = ownSecrets;
    const exit = await runToExit(
      'sink-hubspot',
      {
        ...bareEnv(),
        ...withoutToken,
        TOPIC_PREFIX: uniquePrefix('safe-crm'),
        PORT: String(await freePort()),
        HTTP_HOST: '127.0.0.1',
      },
      120_000,
    );
    assert.equal(exit.code, 1, exit.stderr);
    assert.match(exit.stderr, /^ {2}- HUBSPOT_TOKEN: not set; .*\(destination demo-hubspot\)$/m);
  });

  it('with its own secrets every service starts outside demo mode and answers /health', async () => {
    const prefix = uniquePrefix('safe-defaults');
    const dir = mkdtempSync(join(tmpdir(), 'lead-router-safe-defaults-logs-'));
    // One at a time, last stage first as `npm start` does: services that create their topics at
    // the same moment can see a partition without its leader yet.
    await inBatches([...serviceManifest].reverse(), 1, async (s) => {
      const port = await freePort();
      const service = await startService(
        s.name,
        {
          ...ownSecrets,
          TOPIC_PREFIX: prefix,
          [s.port.env]: String(port),
          HTTP_HOST: '127.0.0.1',
          INDEX_TABLE: `${table}_trace`,
          PG_TABLE: `${table}_leads`,
          LOG_LEVEL: 'warn',
        },
        { port, logDir: dir, healthTimeoutMs: 180_000 },
      );
      running.push(service);
      const health = await fetch(`${service.url}${s.healthPath}`);
      assert.equal(health.status, 200, `${s.name} /health`);
    });
    assert.equal(running.length, serviceManifest.length);
    const codes = await Promise.all(running.splice(0).map((s) => s.stop()));
    assert.deepEqual(
      codes,
      serviceManifest.map(() => 0),
      'each stops cleanly',
    );
  });
});
