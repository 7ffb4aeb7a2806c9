export { refusedAddressReason } from './address.policy';
export { withDeadline } from './deadline';
export { DELIVERY_ID_NAMESPACE, deliveryIdFor } from './delivery-id.generator';
export { DestinationError } from './destination.error';
export {
  LEAD_ROUTED_EVENT,
  type WebhookRequest,
  encodedWebhookRequest,
  leadRoutedPayload,
  signWebhook,
  webhookRequest,
} from './webhook-request.builder';
export { verifyWebhook } from './webhook.verifier';
export { type ResponseClass, classifyResponse, webhookVerdict } from './response.classifier';
export {
  DELIVERY_VERDICT_KINDS,
  type DeliveryVerdict,
  type DeliveryVerdictKind,
  type LeadVerdict,
  isFinalVerdict,
} from './delivery-verdict.type';
export { type BackoffOptions, backoffDelay, retryAfterMs } from './backoff.policy';
export { type DeliveryOutcomeArgs, deliveryOutcome } from './delivery-outcome.builder';
export {
  type AttemptEffects,
  type AttemptPolicy,
  type AttemptResponse,
  type AttemptsResult,
  runAttempts,
} from './attempts.runner';
