import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSforceLimitInfo } from './sforce-limit-info.parser';

describe('parseSforceLimitInfo', () => {
  const sut = parseSforceLimitInfo;

  it('reads api-usage alone', () => {
    assert.deepEqual(sut('api-usage=10018/100000'), { used: 10018, allocation: 100000 });
  });

  it('reads api-usage beside other entries, in any order', () => {
    assert.deepEqual(sut('api-usage=18/5000; api-bursts=1/750'), { used: 18, allocation: 5000 });
    assert.deepEqual(
      sut('per-app-api-usage=17/250(appName=sample-connected-app); api-usage=25/5000'),
      {
        used: 25,
        allocation: 5000,
      },
    );
  });

  it('is null without a usable api-usage', () => {
    assert.equal(sut(undefined), null);
    assert.equal(sut(''), null);
    assert.equal(sut('api-bursts=1/750'), null);
    assert.equal(sut('api-usage=lots/5000'), null);
  });
});
