/** One problem with one submitted field; `message` never contains the submitted value. */
export interface FieldIssue {
  /** The field's path in the submitted body, e.g. `email` or `leads[3].phone`. */
  field: string;
  /** Machine-readable: invalid_type, too_long, missing_contact, unsupported_type, ... */
  code: string;
  /** Plain English, prefixed with the field: "email: expected a string of at most 320 characters". */
  message: string;
}
