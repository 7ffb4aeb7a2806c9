export type { Cleaned, NormalizeIssue } from './normalize-issue.type';
export { normalizeEmail } from './email.normalizer';
export { type NormalizedPhone, normalizePhone } from './phone.normalizer';
export { normalizeCountry } from './country.normalizer';
export { normalizeMessage, normalizeText } from './text.normalizer';
export { normalizeWebsite } from './website.normalizer';
export { normalize } from './lead.normalizer';
