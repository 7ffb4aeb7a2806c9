import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeName } from './name.normalizer';

describe('normalizeName', () => {
  const sut = normalizeName;

  it('case-fixes names typed all upper or all lower, particles and prefixes included', () => {
    assert.deepEqual(sut('SEAN', "o'brien", null), {
      first: 'Sean',
      last: "O'Brien",
      split: false,
    });
    assert.deepEqual(sut('jan', 'VAN DER BERG', null), {
      first: 'Jan',
      last: 'van der Berg',
      split: false,
    });
    assert.deepEqual(sut('RONALD', 'MCDONALD', null), {
      first: 'Ronald',
      last: 'McDonald',
      split: false,
    });
  });

  it('keeps a name typed in mixed case as its owner wrote it', () => {
    assert.deepEqual(sut('Leonardo', 'DiCaprio', null), {
      first: 'Leonardo',
      last: 'DiCaprio',
      split: false,
    });
  });

  it('splits a full name when neither part is given', () => {
    assert.deepEqual(sut(null, null, 'LOVELACE, ADA'), {
      first: 'Ada',
      last: 'Lovelace',
      split: true,
    });
    assert.deepEqual(sut(null, null, '山田 太郎'), { first: '太郎', last: '山田', split: true });
  });

  it('splits the one name field given when it holds a full name', () => {
    assert.deepEqual(sut('Ada Lovelace', null, null), {
      first: 'Ada',
      last: 'Lovelace',
      split: true,
    });
  });

  it('prefers the given parts to a full name', () => {
    assert.deepEqual(sut('Ada', 'Lovelace', 'Someone Else'), {
      first: 'Ada',
      last: 'Lovelace',
      split: false,
    });
  });
});
