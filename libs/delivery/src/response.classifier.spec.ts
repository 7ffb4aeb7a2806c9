import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyResponse } from './response.classifier';

describe('classifyResponse', () => {
  const sut = classifyResponse;

  const cases: [number | null, string][] = [
    [200, 'delivered'],
    [202, 'delivered'],
    [299, 'delivered'],
    [null, 'retry'],
    [408, 'retry'],
    [409, 'retry'],
    [425, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [301, 'reject'],
    [400, 'reject'],
    [401, 'reject'],
    [404, 'reject'],
    [410, 'reject'],
    [422, 'reject'],
  ];
  for (const [status, expected] of cases) {
    it(`${String(status)} → ${expected}`, () => {
      assert.equal(sut(status), expected);
    });
  }
});
