import { Readable } from 'node:stream';
import { Body, Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import {
  captureBatch,
  captureLead,
  type CaptureContext,
  type FieldIssue,
} from '@lead-router/capture';
import type { Logger, StageMetrics } from '@lead-router/observability';
import { LOGGER, STAGE_METRICS } from '@lead-router/service-kit';
import { ApiError } from './api-error';
import { ApiKeyGuard, type AuthenticatedRequest } from './api-key.guard';
import { clientIpOf, proxyTrust, type ProxyTrust } from './client-ip';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';
import { LeadPublisher } from './lead.publisher';
import { requestTraceHeaders, traceLead } from './request.trace';
import { kafkaUnavailable } from './load-gate';
import { INGEST_METRICS, type IngestMetrics } from './sources/ingest-metrics.provider';

const STAGE = 'ingest';

/** The parsed body; a CSV (handed over as a stream, see csv-body.parser) belongs to the import. */
function leadBody(body: unknown): unknown {
  if (body instanceof Readable) {
    body.resume();
    throw new ApiError(415, 'unsupported_media_type', 'CSV files go to POST /v1/leads/import');
  }
  return body ?? {};
}

@Controller('v1/leads')
@UseGuards(ApiKeyGuard)
export class LeadsController {
  private readonly trust: ProxyTrust;

  constructor(
    @Inject(LeadPublisher) private readonly publisher: LeadPublisher,
    @Inject(STAGE_METRICS) private readonly metrics: StageMetrics,
    @Inject(INGEST_METRICS) private readonly perSource: IngestMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(INGEST_CONFIG) config: IngestConfig,
  ) {
    this.trust = proxyTrust(config.trustedProxies);
  }

  /** Answers 202 only after Kafka acknowledged the record: never for a lead Kafka lacks. */
  @Post()
  @HttpCode(202)
  async submit(@Body() body: unknown, @Req() request: AuthenticatedRequest) {
    const captured = captureLead(leadBody(body), this.context(request));
    if (!captured.ok) throw this.rejected(captured.error);
    traceLead(request, captured.value.lead_id);
    const trace = requestTraceHeaders(request);
    await this.acknowledged(
      () => this.publisher.publish(captured.value, trace),
      captured.value.source,
      1,
    );
    return { lead_id: captured.value.lead_id };
  }

  @Post('batch')
  @HttpCode(202)
  async submitBatch(@Body() body: unknown, @Req() request: AuthenticatedRequest) {
    const captured = captureBatch(leadBody(body), this.context(request));
    if (!captured.ok) throw this.rejected(captured.error);
    await this.acknowledged(
      () => this.publisher.publishAll(captured.value, requestTraceHeaders(request)),
      request.leadSource ?? 'unknown',
      captured.value.length,
    );
    return { lead_ids: captured.value.map((lead) => lead.lead_id) };
  }

  private context(request: AuthenticatedRequest): CaptureContext {
    const key = request.headers['idempotency-key'];
    const clientIp = clientIpOf(request.raw, this.trust);
    return {
      source: request.leadSource ?? 'unknown',
      now: Date.now(),
      channel: 'http',
      ...(clientIp !== null ? { clientIp } : {}),
      ...(typeof key === 'string' && key !== '' ? { idempotencyKey: key } : {}),
    };
  }

  private rejected(fields: FieldIssue[]) {
    this.metrics.records.inc({ stage: STAGE, topic: 'http', outcome: 'rejected' }, 1);
    return new ApiError(400, 'invalid_lead', 'the lead was not accepted; see fields', fields);
  }

  private async acknowledged(
    publish: () => Promise<void>,
    source: string,
    count: number,
  ): Promise<void> {
    try {
      await publish();
      this.metrics.records.inc({ stage: STAGE, topic: 'http', outcome: 'accepted' }, count);
      this.perSource.leads.inc({ source, topic: 'raw' }, count);
    } catch (err) {
      this.metrics.errors.inc({ stage: STAGE, code: 'kafka_unavailable' });
      this.logger.error({ err }, 'Kafka did not acknowledge; answering 503');
      throw kafkaUnavailable(err);
    }
  }
}
