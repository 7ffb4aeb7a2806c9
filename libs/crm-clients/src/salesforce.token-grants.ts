import { createPrivateKey } from 'node:crypto';
import { type CredentialRef, resolveCredential } from '@lead-router/config';
import { errorMessage } from '@lead-router/errors';
import type { SalesforceAuth } from '@lead-router/routing';
import { SignJWT } from 'jose';
import type { Dispatcher } from 'undici';
import { crmRequest, jsonOrNull } from './crm.request';
import { SalesforceAuthError } from './salesforce.auth.error';
import type { SalesforceGrant, SalesforceSession } from './salesforce.session-cache';

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * How long a JWT bearer assertion is valid. Salesforce does not state its window; three minutes
 * is the common advice (crm-contracts.md, "Open"), so stay well inside it.
 */
export const JWT_ASSERTION_LIFETIME_SECONDS = 120;

export interface SalesforceGrantOptions {
  /** `login_url` of the destination: where `/services/oauth2/token` is. */
  loginUrl: string;
  auth: SalesforceAuth;
  /** Aborts a token request that takes longer. */
  timeoutMs: number;
  dispatcher?: Dispatcher;
  /** Where credential references are read (defaults: the process environment, the file system). */
  resolveSecret?: (ref: CredentialRef) => string;
  nowSeconds?: () => number;
}

/**
 * The grant for a destination's `auth`: OAuth 2.0 client credentials, or the JWT bearer flow
 * (RFC 7523) with an RS256 assertion signed by the app's private key (`iss` the consumer key,
 * `sub` the user, `aud` the login URL). Credentials are read at each mint, so a rotated secret
 * is picked up by the next one.
 */
export function salesforceGrant(options: SalesforceGrantOptions): SalesforceGrant {
  const loginUrl = options.loginUrl.replace(/\/+$/, '');
  const context = { loginUrl, flow: options.auth.flow };
  const secret = (ref: CredentialRef) => {
    try {
      return (options.resolveSecret ?? resolveCredential)(ref);
    } catch (error) {
      throw new SalesforceAuthError(
        `Salesforce credentials for ${loginUrl}: ${errorMessage(error)}`,
        'salesforce_credentials_missing',
        context,
        error,
      );
    }
  };
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));

  const form = async (): Promise<URLSearchParams> => {
    const auth = options.auth;
    if (auth.flow === 'client_credentials') {
      return new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: secret(auth.client_id),
        client_secret: secret(auth.client_secret),
      });
    }
    let key;
    try {
      key = createPrivateKey(secret(auth.private_key));
    } catch (error) {
      if (error instanceof SalesforceAuthError) throw error;
      throw new SalesforceAuthError(
        `the private key for ${loginUrl} is not a PEM private key: ${errorMessage(error)}`,
        'salesforce_credentials_missing',
        context,
        error,
      );
    }
    const issuedAt = now();
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(secret(auth.client_id))
      .setSubject(auth.username)
      .setAudience(loginUrl)
      .setExpirationTime(issuedAt + JWT_ASSERTION_LIFETIME_SECONDS)
      .sign(key);
    return new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
  };

  return async (): Promise<SalesforceSession> => {
    const body = (await form()).toString();
    let status: number;
    let answer: unknown;
    try {
      const response = await crmRequest({
        url: `${loginUrl}/services/oauth2/token`,
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body,
        timeoutMs: options.timeoutMs,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
      status = response.statusCode;
      answer = jsonOrNull(response.text);
    } catch (error) {
      throw new SalesforceAuthError(
        `the Salesforce token endpoint ${loginUrl} did not answer: ${errorMessage(error)}`,
        'salesforce_auth_unavailable',
        context,
        error,
      );
    }
    const fields = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<
      string,
      unknown
    >;
    const token = fields['access_token'];
    const instanceUrl = fields['instance_url'];
    if (status === 200 && typeof token === 'string' && typeof instanceUrl === 'string') {
      return { accessToken: token, instanceUrl: instanceUrl.replace(/\/+$/, '') };
    }
    const what =
      typeof fields['error'] === 'string'
        ? `${fields['error']}${typeof fields['error_description'] === 'string' ? `: ${fields['error_description']}` : ''}`
        : `HTTP ${status}`;
    // A 4xx is the endpoint's answer about the client itself (OAuth "invalid_client",
    // "invalid_grant"): asking again changes nothing until a person fixes the app or the user.
    const refused = status >= 400 && status < 500;
    throw new SalesforceAuthError(
      `Salesforce ${loginUrl} ${refused ? 'refused' : 'failed'} the ${options.auth.flow} token request (${what})`,
      refused ? 'salesforce_auth_refused' : 'salesforce_auth_unavailable',
      context,
    );
  };
}
