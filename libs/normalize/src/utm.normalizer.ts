import type { AttributesReader } from './attributes.reader';
import { cleanText } from './text.normalizer';

export const UTM_PARAMETERS = ['source', 'medium', 'campaign', 'term', 'content', 'id'] as const;

/** Where form tools put the page the lead was captured on. */
const LANDING_PAGE_FIELDS = [
  'landingpage',
  'landingpageurl',
  'pageurl',
  'formurl',
  'url',
  'sourceurl',
];

/**
 * The UTM parameters by name without the prefix: from the submitted `utm_*` fields (any case or
 * separator: `UTM Source`, `utmSource`), else from the landing page URL's query. Values are kept
 * as submitted, trimmed: analytics tools tell `Google` from `google`.
 */
export function normalizeUtm(attributes: AttributesReader): Record<string, string> {
  const page = attributes.first(LANDING_PAGE_FIELDS);
  const query = page === null ? null : URL.parse(cleanText(page))?.searchParams;
  const utm: Record<string, string> = {};
  for (const name of UTM_PARAMETERS) {
    const raw = attributes.first([`utm${name}`]) ?? query?.get(`utm_${name}`) ?? null;
    const value = raw === null ? '' : cleanText(raw);
    if (value !== '') utm[name] = value;
  }
  return utm;
}
