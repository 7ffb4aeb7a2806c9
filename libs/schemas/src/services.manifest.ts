import type { Topics } from './topics';

/** A topic by its key in `Topics` (`raw`, `dlq`, …), so a rename there is a type error here. */
export type TopicKey = keyof typeof Topics;

/**
 * `gateway` takes leads from outside Kafka, `stage` turns one lead topic into the next, `sink`
 * delivers to a system outside and records the outcome, `indexer` only reads.
 */
export type ServiceKind = 'gateway' | 'stage' | 'sink' | 'indexer';

/** Every type of destination a rule set may name (RoutedLead's `destinations[].type`). */
export const DESTINATION_TYPES = ['webhook', 'salesforce', 'hubspot', 'postgres'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

export interface ServiceDeclaration {
  /** The folder under services/, the npm package `@lead-router/<name>`, the `SERVICE` of the image. */
  readonly name: string;
  readonly kind: ServiceKind;
  /** The variable the service reads its HTTP port from, and the port when it is unset. */
  readonly port: { readonly env: 'PORT' | 'INGEST_PORT'; readonly default: number };
  readonly topicsIn: readonly TopicKey[];
  readonly topicsOut: readonly TopicKey[];
  /** Answers 200 once the service is ready (its consumers joined, its producer connected). */
  readonly healthPath: '/health';
  /** The built entry point, relative to the repository root. */
  readonly entry: string;
  /**
   * The destination types a sink delivers to; only sinks have it. A rule set routing to a type no
   * sink serves is refused, since a lead sent there would be committed with no outcome.
   */
  readonly destinationTypes?: readonly DestinationType[];
}

/**
 * Every service, in pipeline order: the one list that `npm start`, docker-compose.yml's test,
 * the end-to-end fixtures, the bench and each service's default port read.
 */
export const serviceManifest = [
  {
    name: 'ingest',
    kind: 'gateway',
    port: { env: 'INGEST_PORT', default: 8080 },
    topicsIn: [],
    topicsOut: ['raw', 'sourcesFetch'],
    healthPath: '/health',
    entry: 'services/ingest/dist/main.js',
  },
  {
    // Fetches the leads Meta and LinkedIn announce by id, off ingest's request path; its retries
    // wait on sources.fetch.retry.<n>.
    name: 'source-fetcher',
    kind: 'stage',
    port: { env: 'PORT', default: 8189 },
    topicsIn: ['sourcesFetch'],
    topicsOut: ['raw', 'dlq'],
    healthPath: '/health',
    entry: 'services/source-fetcher/dist/main.js',
  },
  {
    name: 'normalizer',
    kind: 'stage',
    port: { env: 'PORT', default: 8181 },
    topicsIn: ['raw'],
    topicsOut: ['normalized', 'dlq'],
    healthPath: '/health',
    entry: 'services/normalizer/dist/main.js',
  },
  {
    name: 'enricher',
    kind: 'stage',
    port: { env: 'PORT', default: 8182 },
    // Every instance reads the accounts whole; duplicate detection re-keys leads by contact on
    // enricher.contacts (restoring enricher.contacts-seen) and learns owners from leads.routed.
    topicsIn: ['normalized', 'accounts', 'contacts', 'contactsSeen', 'routed'],
    topicsOut: ['enriched', 'contacts', 'contactsSeen', 'dlq'],
    healthPath: '/health',
    entry: 'services/enricher/dist/main.js',
  },
  {
    name: 'router',
    kind: 'stage',
    port: { env: 'PORT', default: 8183 },
    // The router is its own consumer twice over: matched leads go through router.assign (and
    // router.held) to the instance owning their queue group, which restores router.queue-state.
    topicsIn: ['enriched', 'rules', 'assign', 'held', 'queueState'],
    topicsOut: ['assign', 'held', 'routed', 'queueState', 'dlq'],
    healthPath: '/health',
    entry: 'services/router/dist/main.js',
  },
  {
    name: 'sink-webhook',
    kind: 'sink',
    port: { env: 'PORT', default: 8184 },
    topicsIn: ['routed'],
    topicsOut: ['delivered', 'attempts', 'dlq'],
    healthPath: '/health',
    entry: 'services/sink-webhook/dist/main.js',
    destinationTypes: ['webhook'],
  },
  {
    name: 'sink-postgres',
    kind: 'sink',
    port: { env: 'PORT', default: 8186 },
    topicsIn: ['routed'],
    topicsOut: ['delivered', 'attempts', 'dlq'],
    healthPath: '/health',
    entry: 'services/sink-postgres/dist/main.js',
    destinationTypes: ['postgres'],
  },
  {
    name: 'sink-salesforce',
    kind: 'sink',
    port: { env: 'PORT', default: 8187 },
    topicsIn: ['routed'],
    topicsOut: ['delivered', 'attempts', 'dlq'],
    healthPath: '/health',
    entry: 'services/sink-salesforce/dist/main.js',
    destinationTypes: ['salesforce'],
  },
  {
    name: 'sink-hubspot',
    kind: 'sink',
    port: { env: 'PORT', default: 8188 },
    topicsIn: ['routed'],
    topicsOut: ['delivered', 'attempts', 'dlq'],
    healthPath: '/health',
    entry: 'services/sink-hubspot/dist/main.js',
    destinationTypes: ['hubspot'],
  },
  {
    name: 'indexer',
    kind: 'indexer',
    port: { env: 'PORT', default: 8185 },
    topicsIn: ['raw', 'normalized', 'enriched', 'routed', 'delivered', 'attempts', 'dlq'],
    topicsOut: ['dlq'],
    healthPath: '/health',
    entry: 'services/indexer/dist/main.js',
  },
] as const satisfies readonly ServiceDeclaration[];

/** A service of the manifest: one that runs in every deployment. */
export type ManifestEntry = (typeof serviceManifest)[number];

/** A deployment that runs the stages of several services of the manifest in one process. */
export interface FusedDeclaration extends ServiceDeclaration {
  /** The services it takes the place of: none of them runs beside it. */
  readonly replaces: readonly ManifestEntry['name'][];
  /** The services that still run beside it, with what their environment adds in this deployment. */
  readonly alongside: Readonly<
    Partial<Record<ManifestEntry['name'], Readonly<Record<string, string>>>>
  >;
}

/**
 * Deployments one may choose instead of some services of `serviceManifest`; nothing starts them
 * unless asked (`npm start -- --fused`, the override file docker-compose.fused.yml). pipeline-fused runs
 * the normalizer's, the enricher's and the router's match stages in one process for small
 * installations, writing every topic they write; the router beside it runs only its assign step.
 */
export const optionalServices = [
  {
    name: 'pipeline-fused',
    kind: 'stage',
    port: { env: 'PORT', default: 8190 },
    topicsIn: [
      'raw',
      'normalized',
      'accounts',
      'contacts',
      'contactsSeen',
      'routed',
      'enriched',
      'rules',
    ],
    topicsOut: ['normalized', 'enriched', 'contacts', 'contactsSeen', 'assign', 'dlq'],
    healthPath: '/health',
    entry: 'services/pipeline-fused/dist/main.js',
    replaces: ['normalizer', 'enricher'],
    alongside: { router: { ROUTER_STEPS: 'assign' } },
  },
] as const satisfies readonly FusedDeclaration[];

export type ServiceEntry = ManifestEntry | (typeof optionalServices)[number];
export type ServiceName = ServiceEntry['name'];

/** The declaration of one service, of the manifest or optional. */
export function serviceEntry<N extends ServiceName>(name: N): Extract<ServiceEntry, { name: N }> {
  return [...serviceManifest, ...optionalServices].find(
    (s): s is Extract<ServiceEntry, { name: N }> => s.name === name,
  )!;
}

/**
 * What a deployment of `optionalServices` adds to the environment of `name` when it runs beside
 * it (the router beside pipeline-fused: `ROUTER_STEPS=assign`); nothing for any other service.
 */
export function alongsideEnv(
  deployment: FusedDeclaration,
  name: ServiceName,
): Readonly<Record<string, string>> {
  const alongside: Readonly<Partial<Record<string, Readonly<Record<string, string>>>>> =
    deployment.alongside;
  return alongside[name] ?? {};
}

/** The port a service listens on when its port variable is unset. */
export function defaultPort(name: ServiceName): number {
  return serviceEntry(name).port.default;
}

/** The services of the given kinds, in pipeline order, typed by their names. */
export function servicesOfKind<K extends ServiceKind>(
  ...kinds: K[]
): Extract<ManifestEntry, { kind: K }>[] {
  return serviceManifest.filter((s): s is Extract<ManifestEntry, { kind: K }> =>
    (kinds as readonly ServiceKind[]).includes(s.kind),
  );
}

/** The destination types some sink delivers to, each once, in manifest order. */
export function servedDestinationTypes(): readonly DestinationType[] {
  const served = servicesOfKind('sink').flatMap((s) => s.destinationTypes);
  return [...new Set<DestinationType>(served)];
}
