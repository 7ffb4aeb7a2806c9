/**
 * `npm start`: the whole system on this machine. Starts Kafka and the registry (unless
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL point elsewhere), the demo inbox and the demo CRMs (the
 * fake Salesforce and HubSpot), publishes the demo rule set to routing.rules, and starts every
 * service as its own process; prints where to send leads and where to see them land; Ctrl-C stops
 * everything in reverse order. `npm start -- --fused` runs pipeline-fused in place of the services
 * it replaces (docs/architecture.md, the fused deployment).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_MODE_ENV } from '@lead-router/config';
import {
  alongsideEnv,
  optionalServices,
  serviceManifest,
  type ServiceEntry,
} from '@lead-router/schemas';
import { DEMO_CRM_ENV, DEMO_PORTS, demoRulesOn, startDemoCrms, type DemoCrms } from './demo-crms';
import { startDemoInbox, type DemoInbox } from './demo-inbox';
import { startAll, startService, type ServiceProcess } from './service.process';
import { publishStartRules } from './start-rules.publisher';
import { startStack, type LocalStack } from './stack';
import { defaultCacheDir } from './util';

/** Printed for the demo; ingest accepts it for source "web-form" only. */
const DEMO_API_KEY = 'lr_demo_key_web_form';

const env = (name: string, fallback: string): string => process.env[name] || fallback;
const log = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

/** `sink-hubspot` → `SINK_HUBSPOT_PORT`: where `npm start` puts a stage whose variable is PORT. */
const startPortVar = (name: string): string => `${name.toUpperCase().replace(/-/g, '_')}_PORT`;

/**
 * Every service of the manifest, last stage first so each topic has its consumer before anything
 * produces to it, with the port each serves /health and /metrics on. `PORT` is every stage's
 * variable, so `npm start` reads a stage's port from its own name (SINK_HUBSPOT_PORT), and a
 * service's own variable (INGEST_PORT) as the service does.
 */
const fused = process.argv.includes('--fused') ? optionalServices[0] : null;
const chosen: ServiceEntry[] = fused
  ? serviceManifest.flatMap((s): ServiceEntry[] =>
      s.name === fused.replaces[0]
        ? [fused]
        : (fused.replaces as readonly string[]).includes(s.name)
          ? []
          : [s],
    )
  : [...serviceManifest];
const services = chosen.reverse().map((s) => {
  const startVar = s.port.env === 'PORT' ? startPortVar(s.name) : s.port.env;
  return {
    name: s.name,
    portVar: s.port.env,
    port: Number(env(startVar, String(s.port.default))),
    /** What the fused deployment adds to a service running beside it (the router: ROUTER_STEPS). */
    alongside: fused ? alongsideEnv(fused, s.name) : {},
  };
});

/** The demo credentials each CRM sink gets (unless its variables are set). */
const demoCredentials: Partial<Record<string, Record<string, string>>> = {
  'sink-salesforce': {
    SALESFORCE_CLIENT_ID: env('SALESFORCE_CLIENT_ID', DEMO_CRM_ENV.SALESFORCE_CLIENT_ID),
    SALESFORCE_CLIENT_SECRET: env(
      'SALESFORCE_CLIENT_SECRET',
      DEMO_CRM_ENV.SALESFORCE_CLIENT_SECRET,
    ),
  },
  'sink-hubspot': { HUBSPOT_TOKEN: env('HUBSPOT_TOKEN', DEMO_CRM_ENV.HUBSPOT_TOKEN) },
};

async function main(): Promise<void> {
  const dataDir = resolve(env('LEAD_ROUTER_DATA', join(defaultCacheDir(), 'data')));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  let stack: LocalStack | null = null;
  let inbox: DemoInbox | null = null;
  let crms: DemoCrms | null = null;
  const running: ServiceProcess[] = [];

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log(
      '\nstopping: services first (they drain and commit), then the demo CRMs, the inbox and the stack',
    );
    await Promise.all(running.map((service) => service.stop()));
    await crms?.close();
    await inbox?.close();
    await stack?.stop();
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    let brokers = process.env['KAFKA_BROKERS'];
    let registryUrl = process.env['SCHEMA_REGISTRY_URL'];
    if (!brokers || !registryUrl) {
      log('starting the local Kafka broker and schema registry (first run fetches them with mvn)');
      stack = await startStack({
        dataDir: join(dataDir, 'stack'),
        kafkaPort: Number(env('KAFKA_PORT', '9092')),
        registryPort: Number(env('REGISTRY_PORT', '8081')),
        log: (msg) => log(`  ${msg}`),
      });
      brokers = stack.brokers;
      registryUrl = stack.registryUrl;
    }
    const ports = {
      inbox: Number(env('INBOX_PORT', String(DEMO_PORTS.inbox))),
      salesforce: Number(env('FAKE_SALESFORCE_PORT', String(DEMO_PORTS.salesforce))),
      hubspot: Number(env('FAKE_HUBSPOT_PORT', String(DEMO_PORTS.hubspot))),
    };
    inbox = await startDemoInbox({ port: ports.inbox });
    crms = await startDemoCrms(ports);

    const rulesFile =
      process.env['ROUTING_RULES_FILE'] ||
      demoRulesOn(resolve(__dirname, '..', 'rules', 'demo.yaml'), ports, join(dataDir, 'rules'));
    log(
      await publishStartRules({
        brokers,
        registryUrl,
        file: rulesFile,
        topicPrefix: process.env['TOPIC_PREFIX'] ?? '',
      }),
    );

    // Demo mode: the demo API key, webhook secret and local databases are accepted (and are the
    // defaults); a service started any other way needs its own (docs/security.md).
    const shared = {
      ...DEMO_MODE_ENV,
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      INGEST_API_KEYS: env('INGEST_API_KEYS', `${DEMO_API_KEY}:web-form`),
      ROUTING_RULES_FILE: rulesFile,
    };
    // All at once: each service creates the topics it needs and waits for its own /health.
    log(`starting ${services.map((s) => s.name).join(', ')}`);
    await startAll(
      services.map(async (service) => {
        const started = await startService(
          service.name,
          {
            ...shared,
            ...demoCredentials[service.name],
            ...service.alongside,
            [service.portVar]: String(service.port),
          },
          // A loaded machine may need longer than startService's minute to get a service healthy.
          {
            port: service.port,
            logDir,
            healthTimeoutMs: Number(env('HEALTH_TIMEOUT_MS', '60000')),
          },
        );
        running.push(started);
        log(`${service.name} is up`);
        return started;
      }),
    );
    const ingest = `http://localhost:${services.find((s) => s.name === 'ingest')!.port}`;
    const pgUrl = env('PG_URL', 'postgresql://postgres@127.0.0.1:5432/test');
    const pgTable = `${env('PG_SCHEMA', 'public')}.${env('PG_TABLE', 'leads')}`;
    const curl = (lead: string) =>
      `curl -X POST ${ingest}/v1/leads -H 'Authorization: Bearer ${DEMO_API_KEY}' \\
      -H 'Content-Type: application/json' -d '${lead}'`;
    log(`
lead-router is running. Send a lead, then see it land where the demo rules route it:

  EMEA, Americas, free mail, elsewhere → the demo inbox (a signed webhook)
    ${curl('{"email":"jane@acme.io","phone":"0151 23456789","country":"Deutschland","company":"Acme"}')}
    curl ${inbox.url}/deliveries
  ANZ (AU, NZ) → a Lead in the demo Salesforce, with its OwnerId
    ${curl('{"email":"kim@koala.com.au","last_name":"Kim","country":"AU","company":"Koala"}')}
    curl ${crms.salesforce.url}/_fake/records
  Asia (SG, IN, KR, MY, TH) → a contact in the demo HubSpot, with its hubspot_owner_id
    ${curl('{"email":"tan@lion.sg","first_name":"Wei","country":"SG","company":"Lion"}')}
    curl ${crms.hubspot.url}/_fake/contacts
  Africa (ZA, NG, KE, EG, MA) → a row of the leads table
    ${curl('{"email":"thabo@baobab.co.za","country":"ZA","company":"Baobab"}')}
    psql ${pgUrl} -c "select lead_id, owner_id, matched_rule, lead#>>'{lead,email}' as email from ${pgTable}"

  API key:       ${DEMO_API_KEY} (source "web-form")
  Kafka:         ${brokers}
  registry:      ${registryUrl}
  metrics:       ${services.map((s) => `http://localhost:${s.port}/metrics`).join(' ')}
  logs:          ${logDir}

Ctrl-C stops everything.`);
  } catch (err) {
    process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
    await stop(1);
  }
}

void main();
