import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadSinkWebhookConfig } from './sink-webhook.config';
import { sinkWebhookProviders, sinkWebhookStages } from './sink-webhook.providers';

runStageService('sink-webhook', loadSinkWebhookConfig, sinkWebhookStages, sinkWebhookProviders);
