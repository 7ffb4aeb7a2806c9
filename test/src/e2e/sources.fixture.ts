import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawLead, SourceLeadReference } from '@lead-router/schemas';
import { readTopic } from '@lead-router/testing';
import { startPipeline, type Pipeline } from './pipeline.fixture';

/** The platforms' secrets as the sources file names them: environment variables. */
export const SECRETS = {
  META_APP_SECRET: 'e2e-meta-app-secret',
  META_VERIFY_TOKEN: 'e2e-meta-verify-token',
  META_ACCESS_TOKEN: 'e2e-meta-page-token',
  GOOGLE_ADS_KEY: 'e2e-google-key',
  LINKEDIN_CLIENT_SECRET: 'e2e-linkedin-client-secret',
  LINKEDIN_ACCESS_TOKEN: 'e2e-linkedin-token',
} as const;

/**
 * The whole pipeline (ingest, source-fetcher and every stage as processes) with a sources file:
 * ingest reads it for the webhooks' secrets, source-fetcher for the platforms' APIs. Retries
 * are short so that a lead the fake refuses a few times still arrives within a test.
 */
export async function startSourcesPipeline(
  name: string,
  sourcesYaml: string,
  options: { env?: Record<string, string>; rules?: (yaml: string) => string } = {},
): Promise<Pipeline> {
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-sources-`));
  const file = join(dir, 'sources.yaml');
  writeFileSync(file, sourcesYaml);
  return startPipeline(name, {
    env: {
      INGEST_SOURCES_FILE: file,
      SOURCES_FILE: file,
      ...SECRETS,
      FETCH_RETRY_DELAYS_MS: '300,600,1200,2400',
      FETCH_TIMEOUT_MS: '3000',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ...options.env,
    },
    ...(options.rules ? { rules: options.rules } : {}),
  });
}

export const hmacHex = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

export interface WebhookAnswer {
  status: number;
  text: string;
  /** From sending the request to the whole answer, in ms. */
  ms: number;
}

export async function callWebhook(
  url: string,
  init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {},
): Promise<WebhookAnswer> {
  const started = performance.now();
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}

/** The lead the demo inbox received for a source's own lead id, as the receiver sees it. */
export type InboxLead = Record<string, unknown> & {
  attributes: Record<string, string>;
  decision: Record<string, unknown>;
};

export function inboxLead(
  pipeline: Pipeline,
  source: string,
  sourceLeadId: string,
  timeoutMs = 90_000,
): Promise<InboxLead> {
  return pipeline.waitFor(
    () =>
      pipeline.inbox
        .deliveries()
        .map((d) => (d.body as { data: InboxLead }).data)
        .find((lead) => lead['source'] === source && lead['source_lead_id'] === sourceLeadId),
    {
      timeoutMs,
      what: `the ${source} lead ${sourceLeadId} in the demo inbox`,
      needle: sourceLeadId,
    },
  );
}

/** Every lead on leads.raw and every reference on sources.fetch, decoded. */
export async function writtenByIngest(pipeline: Pipeline): Promise<{
  raw: RawLead[];
  references: SourceLeadReference[];
}> {
  const raw = await readTopic<RawLead>(
    pipeline.kafka,
    pipeline.codec,
    pipeline.topics.raw,
    'RawLead',
  );
  const references = await readTopic<SourceLeadReference>(
    pipeline.kafka,
    pipeline.codec,
    pipeline.topics.sourcesFetch,
    'SourceLeadReference',
  );
  return { raw: raw.map((r) => r.value), references: references.map((r) => r.value) };
}
