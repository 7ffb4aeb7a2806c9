/** An access token and the instance it is valid on, as the token endpoint returned them. */
export interface SalesforceSession {
  readonly accessToken: string;
  readonly instanceUrl: string;
}

/** Mints a new session: one call to the token endpoint. */
export type SalesforceGrant = () => Promise<SalesforceSession>;

/**
 * The session of one connected app, shared by every request to it. Neither server flow has a
 * refresh token, so a session is replaced by minting a new one; `refresh` does that once however
 * many requests found the same session expired at the same time (single flight), and a request
 * that arrives with a session already replaced gets the new one without another mint.
 */
export class SalesforceSessionCache {
  private session: SalesforceSession | null = null;
  private minting: Promise<SalesforceSession> | null = null;

  constructor(private readonly grant: SalesforceGrant) {}

  /** The session in use, minted on first use. */
  current(): Promise<SalesforceSession> {
    return this.session !== null ? Promise.resolve(this.session) : this.mint();
  }

  /** A session to replace `stale`, which Salesforce refused (401 INVALID_SESSION_ID). */
  refresh(stale: SalesforceSession): Promise<SalesforceSession> {
    if (this.session !== null && this.session !== stale) return Promise.resolve(this.session);
    if (this.session === stale) this.session = null;
    return this.mint();
  }

  private mint(): Promise<SalesforceSession> {
    if (this.minting !== null) return this.minting;
    const minting = this.grant()
      .then((session) => {
        this.session = session;
        return session;
      })
      .finally(() => {
        this.minting = null;
      });
    this.minting = minting;
    return minting;
  }
}
