/** A field that could not be cleaned. Messages never contain the submitted value: they are logged. */
export interface NormalizeIssue {
  field: string;
  /** invalid_email, invalid_phone, unknown_country, invalid_website, no_contact */
  code: string;
  message: string;
}

/** A cleaned field value, or null with the reason it was dropped. */
export interface Cleaned<T> {
  value: T | null;
  issue?: NormalizeIssue;
}
