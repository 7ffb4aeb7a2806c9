import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttributesReader } from './attributes.reader';
import { normalizeUtm } from './utm.normalizer';

describe('normalizeUtm', () => {
  const sut = (attributes: Record<string, string>) =>
    normalizeUtm(new AttributesReader(attributes));

  it('reads utm_* fields in any case or separator, values as submitted', () => {
    assert.deepEqual(sut({ 'UTM Source': ' Google ', utmMedium: 'cpc' }), {
      source: 'Google',
      medium: 'cpc',
    });
  });

  it('falls back to the landing page query, field by field', () => {
    assert.deepEqual(
      sut({
        utm_source: 'bing',
        page_url: 'https://acme.io/?utm_source=x&utm_campaign=q4%20launch',
      }),
      { source: 'bing', campaign: 'q4 launch' },
    );
  });
});
