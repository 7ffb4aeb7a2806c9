import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFreeMailDomain } from './free-mail.detector';

describe('isFreeMailDomain', () => {
  const sut = isFreeMailDomain;

  it('knows the big consumer providers, in any case', () => {
    for (const domain of ['gmail.com', 'GMX.de', 'outlook.com', 'proton.me']) {
      assert.equal(sut(domain), true, domain);
    }
  });

  it('does not flag business domains', () => {
    assert.equal(sut('analytical-engines.com'), false);
    assert.equal(sut('siemens.de'), false);
  });
});
