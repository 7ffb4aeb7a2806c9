import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { normalize } from '@lead-router/normalize';
import { rawLeadFixture } from '@lead-router/testing';
import { emailDigest } from './email.digest';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('emailDigest', () => {
  it('is the SHA-256 of the address as the normalizer writes it', () => {
    assert.equal(emailDigest('ada@analytical-engines.com'), sha256('ada@analytical-engines.com'));
  });

  it('gives a raw address and its normalized form one digest', () => {
    const forms = [
      '  Ada@Analytical-Engines.COM ',
      'Ada Lovelace <Ada@analytical-engines.com>',
      'mailto:Ada@ANALYTICAL-ENGINES.com',
    ];
    for (const raw of forms) {
      const normalized = normalize(rawLeadFixture({ email: raw }), 0);
      assert.ok(normalized.ok, raw);
      assert.equal(emailDigest(raw), emailDigest(normalized.value.email), raw);
      assert.equal(emailDigest(raw), sha256('Ada@analytical-engines.com'), raw);
    }
  });

  it('writes an internationalized domain in punycode before hashing', () => {
    assert.equal(emailDigest('jürgen@Bücher.de'), sha256('jürgen@xn--bcher-kva.de'));
  });

  it('keeps the local part as typed, like the normalizer', () => {
    assert.notEqual(emailDigest('Ada@x.io'), emailDigest('ada@x.io'));
  });

  it('is null for what is no email', () => {
    for (const text of [null, undefined, '', 'ada', 'ada@localhost', 'ada@gmail.con']) {
      assert.equal(emailDigest(text), null, String(text));
    }
  });
});
