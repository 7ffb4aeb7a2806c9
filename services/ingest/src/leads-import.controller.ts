import { Readable } from 'node:stream';
import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import type { MappingRequest } from '@lead-router/capture';
import { ApiError } from './api-error';
import { ApiKeyGuard, type AuthenticatedRequest } from './api-key.guard';
import { clientIpOf, proxyTrust, type ProxyTrust } from './client-ip';
import { CsvLeadImporter } from './csv-lead.importer';
import { ImportReportStore } from './import-report.store';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';

interface ImportQuery {
  map?: string | string[];
  key_column?: string;
  dry_run?: string;
}

/**
 * `map=<column>=<field>`, repeated; the last `=` separates, so a column name may hold one.
 * An empty field or `-` leaves the column out.
 */
export function mappingRequestOf(query: ImportQuery): MappingRequest {
  const given: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of [query.map ?? []].flat()) {
    const at = pair.lastIndexOf('=');
    if (at <= 0) problems.push(`map "${pair}": expected <column>=<field>`);
    else given[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (problems.length > 0) {
    throw new ApiError(
      400,
      'invalid_mapping',
      'the columns cannot be mapped; see fields',
      problems.map((message) => ({ field: 'map', code: 'invalid_mapping', message })),
    );
  }
  const keyColumn = query.key_column;
  return { given, ...(keyColumn !== undefined && keyColumn !== '' ? { keyColumn } : {}) };
}

/**
 * Partner files: `POST /v1/leads/import` with a `text/csv` body imports it (or, with
 * `?dry_run=true`, shows the mapping and the first rows' fate), answering an import id and the
 * counts; `GET /v1/leads/import/{id}/report.csv` gives every row's fate. The API key's source is
 * every lead's source, and only that source's key reads the report.
 */
@Controller('v1/leads/import')
@UseGuards(ApiKeyGuard)
export class LeadsImportController {
  private readonly trust: ProxyTrust;

  constructor(
    @Inject(CsvLeadImporter) private readonly importer: CsvLeadImporter,
    @Inject(ImportReportStore) private readonly store: ImportReportStore,
    @Inject(INGEST_CONFIG) config: IngestConfig,
  ) {
    this.trust = proxyTrust(config.trustedProxies);
  }

  @Post()
  @HttpCode(200)
  async import(@Req() request: AuthenticatedRequest, @Query() query: ImportQuery) {
    const body: unknown = request.body;
    if (!(body instanceof Readable)) {
      throw new ApiError(415, 'unsupported_media_type', 'send the file as Content-Type: text/csv');
    }
    const clientIp = clientIpOf(request.raw, this.trust);
    const importRequest = {
      source: request.leadSource ?? 'unknown',
      mapping: mappingRequestOf(query),
      ...(clientIp !== null ? { clientIp } : {}),
    };
    return query.dry_run === 'true' || query.dry_run === '1'
      ? this.importer.dryRun(body, importRequest)
      : this.importer.import(body, importRequest);
  }

  @Get(':id')
  async summary(@Param('id') id: string, @Req() request: AuthenticatedRequest) {
    return this.summaryOf(id, request);
  }

  @Get(':id/report.csv')
  async report(@Param('id') id: string, @Req() request: AuthenticatedRequest) {
    await this.summaryOf(id, request);
    return new StreamableFile(this.store.report(id), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="import-${id}-report.csv"`,
    });
  }

  private async summaryOf(id: string, request: AuthenticatedRequest) {
    const summary = await this.store.summary(id, request.leadSource ?? 'unknown');
    if (summary === null) {
      throw new ApiError(404, 'import_not_found', `no import ${id} for this API key's source`);
    }
    return summary;
  }
}
