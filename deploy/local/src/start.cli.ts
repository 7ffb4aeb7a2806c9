/**
 * `npm start`: the whole system on this machine. Starts Kafka and the registry (unless
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL point elsewhere), the demo inbox, publishes the demo rule
 * set to routing.rules, and starts every service as its own process; prints where to send leads;
 * Ctrl-C stops everything in reverse order.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serviceManifest } from '@lead-router/schemas';
import { startDemoInbox, type DemoInbox } from './demo-inbox';
import { startService, type ServiceProcess } from './service.process';
import { publishStartRules } from './start-rules.publisher';
import { startStack, type LocalStack } from './stack';
import { defaultCacheDir } from './util';

/** Printed for the demo; ingest accepts it for source "web-form" only. */
const DEMO_API_KEY = 'lr_demo_key_web_form';

const env = (name: string, fallback: string): string => process.env[name] || fallback;
const log = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

/**
 * Every service of the manifest, last stage first so each topic has its consumer before anything
 * produces to it, with the port each serves /health and /metrics on. `PORT` is every stage's
 * variable, so only a service's own variable (INGEST_PORT) is taken from the environment.
 */
const services = [...serviceManifest].reverse().map((s) => ({
  name: s.name,
  portVar: s.port.env,
  port: s.port.env === 'PORT' ? s.port.default : Number(env(s.port.env, String(s.port.default))),
}));

async function main(): Promise<void> {
  const dataDir = resolve(env('LEAD_ROUTER_DATA', join(defaultCacheDir(), 'data')));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  let stack: LocalStack | null = null;
  let inbox: DemoInbox | null = null;
  const running: ServiceProcess[] = [];

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('\nstopping: services first (they drain and commit), then the inbox and the stack');
    for (const service of running.reverse()) await service.stop();
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
    const inboxPort = Number(env('INBOX_PORT', '8090'));
    inbox = await startDemoInbox({ port: inboxPort });

    const rulesFile = env('ROUTING_RULES_FILE', resolve(__dirname, '..', 'rules', 'demo.yaml'));
    log(
      await publishStartRules({
        brokers,
        registryUrl,
        file: rulesFile,
        topicPrefix: process.env['TOPIC_PREFIX'] ?? '',
      }),
    );

    const shared = {
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      INGEST_API_KEYS: env('INGEST_API_KEYS', `${DEMO_API_KEY}:web-form`),
      ROUTING_RULES_FILE: rulesFile,
    };
    for (const service of services) {
      log(`starting ${service.name}`);
      running.push(
        await startService(
          service.name,
          { ...shared, [service.portVar]: String(service.port) },
          { port: service.port, logDir },
        ),
      );
    }
    const ingest = `http://localhost:${services.find((s) => s.name === 'ingest')!.port}`;
    log(`
lead-router is running.

  send a lead:   curl -X POST ${ingest}/v1/leads \\
                   -H 'Authorization: Bearer ${DEMO_API_KEY}' -H 'Content-Type: application/json' \\
                   -d '{"email":"jane@acme.io","phone":"+49 151 23456789","country":"DE","company":"Acme"}'
  see it land:   curl ${inbox.url}/deliveries
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
