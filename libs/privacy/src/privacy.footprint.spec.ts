import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emailDigest, personOf } from './index';

// node --test runs each spec file in its own process: this one's module cache holds only what
// this file and the library load.
const normalizerTables = () =>
  Object.keys(require.cache).filter((path) =>
    /[\\/](libphonenumber-js|i18n-iso-countries|email-providers)[\\/]|[\\/]normalize[\\/]dist[\\/](phone|country|subdivision|company-domain|lead)\.normalizer\.js$/.test(
      path,
    ),
  );

describe('@lead-router/privacy loads what every service can afford', () => {
  it("leaves the normalizer's phone, country, subdivision and company-domain tables unloaded", () => {
    // What every stage does with each record: whom it is about, and that email's digest.
    const person = personOf({ lead_id: 'L1', attributes: { 'Email Address': ' Ana@Example.COM' } });
    assert.equal(person?.email, ' Ana@Example.COM');
    assert.match(emailDigest(person?.email) ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(normalizerTables(), []);
  });
});
