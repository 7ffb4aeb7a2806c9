import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyRunMode, DEMO_MODE_ENV, type ModeRequirement } from './run-mode';

const DEMO_SECRET = 'whsec_ZGVtbw==';
const requirements: readonly ModeRequirement[] = [
  {
    key: 'SECRET',
    what: 'its own secret',
    demoValue: DEMO_SECRET,
    isDemoSecret: (v) => v === DEMO_SECRET,
  },
  { key: 'PG_URL', what: 'its database', demoValue: 'postgresql://localhost/test' },
  { key: 'PROTOCOL', what: 'a protocol' },
];

describe('applyRunMode', () => {
  it('fills the demo values of unset keys in demo mode, and leaves set ones alone', () => {
    const sut = applyRunMode('svc', requirements, {
      ...DEMO_MODE_ENV,
      PG_URL: 'postgresql://db/x',
    });
    assert.equal(sut.mode, 'demo');
    assert.deepEqual(sut.problems, []);
    assert.equal(sut.env['SECRET'], DEMO_SECRET);
    assert.equal(sut.env['PG_URL'], 'postgresql://db/x');
    assert.equal(sut.env['PROTOCOL'], undefined);
  });

  it('is production when LEAD_ROUTER_MODE is unset, and names every key not set (empty counts)', () => {
    const sut = applyRunMode('svc', requirements, { PG_URL: '  ' });
    assert.equal(sut.mode, 'production');
    assert.deepEqual(
      sut.problems.map((p) => p.split(':')[0]),
      ['SECRET', 'PG_URL', 'PROTOCOL'],
    );
    assert.match(
      sut.problems[0]!,
      /^SECRET: not set; svc needs its own secret \(only demo mode, LEAD_ROUTER_MODE=demo, has a default\)$/,
    );
    assert.equal(sut.env['SECRET'], undefined);
  });

  it('refuses a demo secret set explicitly outside demo mode, without printing it', () => {
    const sut = applyRunMode('svc', requirements, {
      LEAD_ROUTER_MODE: 'production',
      SECRET: DEMO_SECRET,
      PG_URL: 'postgresql://localhost/test',
      PROTOCOL: 'PLAINTEXT',
    });
    assert.equal(sut.problems.length, 1);
    assert.match(sut.problems[0]!, /^SECRET: the demo secret, accepted in demo mode/);
    assert.doesNotMatch(sut.problems[0]!, /ZGVtbw/);
  });

  it('treats an unknown mode as production', () => {
    const sut = applyRunMode('svc', requirements, { LEAD_ROUTER_MODE: 'Demo' });
    assert.equal(sut.mode, 'production');
    assert.equal(sut.problems.length, 3);
  });
});
