import { Module, type DynamicModule } from '@nestjs/common';
import { serviceModule } from '@lead-router/service-kit';
import { ApiKeyGuard } from './api-key.guard';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';
import { LeadPublisher } from './lead.publisher';
import { LeadsController } from './leads.controller';

@Module({})
export class AppModule {
  static forRoot(config: IngestConfig): DynamicModule {
    return serviceModule(AppModule, {
      service: 'ingest',
      config: config.platform,
      controllers: [LeadsController],
      providers: [{ provide: INGEST_CONFIG, useValue: config }, LeadPublisher, ApiKeyGuard],
      producer: { lingerMs: config.lingerMs, ackTimeoutMs: config.ackTimeoutMs },
    });
  }
}
