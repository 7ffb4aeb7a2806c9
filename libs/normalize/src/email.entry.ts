/**
 * What a service that does not normalize leads needs of this library
 * (`@lead-router/normalize/email`): an email as the normalizer writes it, and the submitted
 * fields the normalizer reads it from. Every service checks each record's person against the
 * erasures (`@lead-router/privacy`) by that email; through the barrel it also loaded the phone,
 * country, subdivision and company-domain tables, which only the normalizer uses.
 */
export { normalizeEmail } from './email.normalizer';
export { AttributesReader } from './attributes.reader';
export { ATTRIBUTE_FIELDS } from './attribute.fields';
