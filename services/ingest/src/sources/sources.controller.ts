import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import {
  captureLead,
  googleKeyValid,
  googleLeadInput,
  linkedinChallenge,
  linkedinLeadReferences,
  linkedinSignatureValid,
  metaHandshake,
  metaLeadReferences,
  metaSignatureValid,
} from '@lead-router/capture';
import type { Result } from '@lead-router/errors';
import type { Logger } from '@lead-router/observability';
import type { RawLead, SourceLeadReference } from '@lead-router/schemas';
import { LOGGER } from '@lead-router/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error';
import type { AuthenticatedRequest } from '../api-key.guard';
import { INGEST_CONFIG, type IngestConfig } from '../ingest.config';
import { LeadPublisher } from '../lead.publisher';
import type { IngestAdSource } from './ad-sources.loader';
import { INGEST_METRICS, type IngestMetrics } from './ingest-metrics.provider';
import { ReferencePublisher } from './reference.publisher';
import { requestTraceHeaders, traceLead } from '../request.trace';

type WebhookRequest = RawBodyRequest<FastifyRequest> & AuthenticatedRequest;

/** How long a platform should wait before sending again when Kafka cannot take the lead. */
const RETRY_AFTER_SECONDS = '5';

/**
 * The ad platforms' webhooks, one URL per configured source: `/v1/sources/<name>`. A GET is the
 * platform's subscription check, a POST a lead (Google) or a lead announced by id (Meta,
 * LinkedIn), checked against the source's own secret before anything is written. A lead
 * announced by id is put on sources.fetch for source-fetcher, so the answer never waits for the
 * platform's API.
 */
@Controller('v1/sources')
export class SourcesController {
  constructor(
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    @Inject(LeadPublisher) private readonly leads: LeadPublisher,
    @Inject(ReferencePublisher) private readonly references: ReferencePublisher,
    @Inject(INGEST_METRICS) private readonly metrics: IngestMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get(':source')
  verify(
    @Param('source') name: string,
    @Query() query: Record<string, unknown>,
    @Req() request: WebhookRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): string | { challengeCode: string; challengeResponse: string } {
    const source = this.sourceNamed(name, request);
    const secrets = source.secrets;
    if (secrets.platform === 'meta') {
      const challenge = metaHandshake(query, secrets.verifyToken);
      if (challenge === null) {
        throw new ApiError(403, 'verify_token_mismatch', 'hub.verify_token does not match');
      }
      void reply.type('text/plain');
      return challenge;
    }
    if (secrets.platform === 'linkedin') {
      const code = query['challengeCode'];
      if (typeof code !== 'string' || code === '') {
        throw new ApiError(400, 'missing_challenge', 'expected ?challengeCode=');
      }
      return linkedinChallenge(code, secrets.clientSecret);
    }
    throw new ApiError(405, 'method_not_allowed', 'Google Ads lead webhooks are POSTs');
  }

  /** Answers 200 only once Kafka acknowledged what the request carried, as the platforms ask. */
  @Post(':source')
  @HttpCode(200)
  async receive(
    @Param('source') name: string,
    @Body() body: unknown,
    @Req() request: WebhookRequest,
  ): Promise<{ lead_ids: string[] } | { accepted: number }> {
    const source = this.sourceNamed(name, request);
    const secrets = source.secrets;
    const now = Date.now();
    const raw = request.rawBody;
    if (secrets.platform === 'google') {
      if (!googleKeyValid(body, secrets.googleKey)) {
        throw new ApiError(401, 'invalid_google_key', 'google_key does not match the source');
      }
      const lead = this.googleLead(body, source, now);
      traceLead(request, lead.lead_id);
      await this.acknowledged(name, 'raw', 1, () =>
        this.leads.publish(lead, requestTraceHeaders(request)),
      );
      return { lead_ids: [lead.lead_id] };
    }
    if (raw === undefined) {
      throw new ApiError(
        415,
        'unsupported_media_type',
        'send the notification as application/json',
      );
    }
    const ctx = { source: name, now };
    let references: Result<SourceLeadReference[], string>;
    if (secrets.platform === 'meta') {
      if (!metaSignatureValid(raw, request.headers['x-hub-signature-256'], secrets.appSecret)) {
        throw new ApiError(401, 'invalid_signature', 'X-Hub-Signature-256 does not match the body');
      }
      references = metaLeadReferences(body, ctx);
    } else {
      if (!linkedinSignatureValid(raw, request.headers['x-li-signature'], secrets.clientSecret)) {
        throw new ApiError(401, 'invalid_signature', 'X-LI-Signature does not match the body');
      }
      references = linkedinLeadReferences(body, ctx);
    }
    if (!references.ok) throw new ApiError(400, 'invalid_notification', references.error);
    const announced = references.value;
    if (announced.length > 0) {
      await this.acknowledged(name, 'sourcesFetch', announced.length, () =>
        this.references.publishAll(announced, requestTraceHeaders(request)),
      );
    }
    return { accepted: announced.length };
  }

  private sourceNamed(name: string, request: WebhookRequest): IngestAdSource {
    const source = this.config.adSources.get(name);
    if (source === undefined) {
      throw new ApiError(404, 'unknown_source', `no source "${name}" in the sources file`);
    }
    request.leadSource = name;
    return source;
  }

  private googleLead(body: unknown, source: IngestAdSource, now: number): RawLead {
    const input = googleLeadInput(body, source.fields);
    if (!input.ok) throw new ApiError(400, 'invalid_lead', input.error);
    // The request comes from Google's servers, not from the person: no client_ip.
    const lead = captureLead(input.value, { source: source.name, now, channel: 'http' });
    if (!lead.ok) {
      throw new ApiError(400, 'invalid_lead', 'the lead was not accepted; see fields', lead.error);
    }
    return lead.value;
  }

  private async acknowledged(
    source: string,
    topic: 'raw' | 'sourcesFetch',
    count: number,
    publish: () => Promise<void>,
  ): Promise<void> {
    try {
      await publish();
      this.metrics.leads.inc({ source, topic }, count);
    } catch (err) {
      this.logger.error({ err, source }, 'Kafka did not acknowledge; answering 503');
      throw new ApiError(
        503,
        'kafka_unavailable',
        'the lead could not be stored right now; the platform will send it again',
        undefined,
        { 'retry-after': RETRY_AFTER_SECONDS },
        err,
      );
    }
  }
}
