import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeWebsite } from './website.normalizer';

describe('normalizeWebsite', () => {
  const sut = normalizeWebsite;

  it('adds https:// and lower-cases the host', () => {
    assert.deepEqual(sut(' WWW.Example.COM '), { value: 'https://www.example.com' });
  });

  it('keeps an explicit scheme, the path and the query', () => {
    assert.deepEqual(sut('http://Example.com/About?x=1'), {
      value: 'http://example.com/About?x=1',
    });
  });

  it('rejects what is not an http(s) site', () => {
    for (const input of [
      'ftp://example.com',
      'not a site',
      'localhost',
      'https://',
      'javascript:alert(1)',
    ]) {
      assert.deepEqual(
        sut(input),
        {
          value: null,
          issue: { field: 'website', code: 'invalid_website', message: 'website: not a valid URL' },
        },
        input,
      );
    }
  });

  it('treats blank as absent', () => {
    assert.deepEqual(sut(''), { value: null });
  });
});
