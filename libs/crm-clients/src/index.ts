export { HubSpotClient, type HubSpotClientOptions, type HubSpotTask } from './hubspot.client';
export {
  SalesforceAdapter,
  type SalesforceAdapterOptions,
  type SalesforceTask,
} from './salesforce.adapter';
export { SalesforceAuthError, type SalesforceAuthErrorCode } from './salesforce.auth.error';
export {
  type SalesforceGrant,
  type SalesforceSession,
  SalesforceSessionCache,
} from './salesforce.session-cache';
export {
  JWT_ASSERTION_LIFETIME_SECONDS,
  type SalesforceGrantOptions,
  salesforceGrant,
} from './salesforce.token-grants';
