import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadSinkSalesforceConfig } from './sink-salesforce.config';
import { sinkSalesforceProviders, sinkSalesforceStages } from './sink-salesforce.providers';

runStageService(
  'sink-salesforce',
  loadSinkSalesforceConfig,
  sinkSalesforceStages,
  sinkSalesforceProviders,
);
