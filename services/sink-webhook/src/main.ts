import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadSinkWebhookConfig } from './sink-webhook.config';
import { sinkWebhookStage } from './sink-webhook.stage';

runStageService('sink-webhook', loadSinkWebhookConfig, sinkWebhookStage);
