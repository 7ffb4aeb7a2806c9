import { LeadRouterError } from '@lead-router/errors';

export type SalesforceAuthErrorCode =
  /** The login endpoint refused the client, the assertion or its user: a person must act. */
  | 'salesforce_auth_refused'
  /** The login endpoint could not be reached or failed on its side: try again later. */
  | 'salesforce_auth_unavailable'
  /** A credential reference the destination names cannot be read here. */
  | 'salesforce_credentials_missing';

/**
 * No access token could be minted. Only `salesforce_auth_unavailable` is retriable: a refused
 * client or a missing credential fails the same way every time until the configuration changes.
 */
export class SalesforceAuthError extends LeadRouterError {
  declare readonly code: SalesforceAuthErrorCode;

  constructor(
    message: string,
    code: SalesforceAuthErrorCode,
    context: { loginUrl: string; flow: string },
    cause?: unknown,
  ) {
    super(message, code, {
      retriable: code === 'salesforce_auth_unavailable',
      context,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}
