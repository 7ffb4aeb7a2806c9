import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeCompanyName } from './company-name.normalizer';

describe('normalizeCompanyName', () => {
  it('removes legal forms at the end, however they are punctuated', () => {
    const cases: [string, string][] = [
      ['Acme, Inc.', 'acme'],
      ['ACME Inc', 'acme'],
      ['Acme Corporation', 'acme'],
      ['Müller GmbH', 'muller'],
      ['Müller GmbH & Co. KG', 'muller'],
      ['Widgets Ltd.', 'widgets'],
      ['Société Générale S.A.', 'societe generale'],
      ['Société Générale SA', 'societe generale'],
      ['Boulangerie Dupont S.A.R.L.', 'boulangerie dupont'],
      ['Siemens AG', 'siemens'],
      ['Koala Holdings Pty Ltd', 'koala holdings'],
      ['Koala Holdings Pty. Ltd.', 'koala holdings'],
      ['Initech LLC', 'initech'],
      ['Globex Holdings Co., Ltd.', 'globex holdings'],
    ];
    for (const [name, expected] of cases) assert.equal(normalizeCompanyName(name), expected, name);
  });

  it('folds case, accents, letters without a decomposition and punctuation', () => {
    assert.equal(normalizeCompanyName('  Straße-Bau  Ørsted '), 'strasse bau orsted');
    assert.equal(normalizeCompanyName("O'Neil & Sons"), 'oneil and sons');
    assert.equal(normalizeCompanyName('ÉCOLE   d’été'), 'ecole dete');
  });

  it('keeps a legal form that is the whole name, and a form in the middle', () => {
    assert.equal(normalizeCompanyName('AG'), 'ag');
    assert.equal(normalizeCompanyName('The Limited Edition Company'), 'the limited edition');
    assert.equal(normalizeCompanyName('...'), '');
  });
});
