/** A field that could not be cleaned. Messages never contain the submitted value: they are logged. */
export interface NormalizeIssue {
  field: string;
  /**
   * A quality flag too: invalid_email, invalid_phone, unknown_country, invalid_website,
   * unknown_subdivision, unreadable_company_size, unknown_industry, unreadable_timestamp,
   * unreadable_consent; no_contact only on a rejected lead.
   */
  code: string;
  message: string;
}

/** A cleaned field value, or null with the reason it was dropped. */
export interface Cleaned<T> {
  value: T | null;
  issue?: NormalizeIssue;
}

export function issue(field: string, code: string, message: string): NormalizeIssue {
  return { field, code, message: `${field}: ${message}` };
}
