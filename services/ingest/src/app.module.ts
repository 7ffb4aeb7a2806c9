import { Module, type DynamicModule } from '@nestjs/common';
import type { BatchingProducer } from '@lead-router/kafka';
import { PRODUCER, serviceModule } from '@lead-router/service-kit';
import { ApiKeyGuard } from './api-key.guard';
import { CsvLeadImporter } from './csv-lead.importer';
import { ImportReportStore } from './import-report.store';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';
import { LeadPublisher } from './lead.publisher';
import { LoadGate } from './load-gate';
import { LeadsController } from './leads.controller';
import { LeadsImportController } from './leads-import.controller';
import { ingestMetricsProvider } from './sources/ingest-metrics.provider';
import { ReferencePublisher } from './sources/reference.publisher';
import { SourcesController } from './sources/sources.controller';

@Module({})
export class AppModule {
  static forRoot(config: IngestConfig): DynamicModule {
    return serviceModule(AppModule, {
      service: 'ingest',
      config: config.platform,
      controllers: [LeadsController, LeadsImportController, SourcesController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        {
          provide: LoadGate,
          inject: [PRODUCER],
          useFactory: (producer: BatchingProducer) => new LoadGate(config.load, producer),
        },
        LeadPublisher,
        ApiKeyGuard,
        ImportReportStore,
        CsvLeadImporter,
        ReferencePublisher,
        ingestMetricsProvider,
      ],
      producer: { lingerMs: config.lingerMs, ackTimeoutMs: config.ackTimeoutMs },
    });
  }
}
