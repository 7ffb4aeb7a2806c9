import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@lead-router/config';
import { destinationSchema, type RuleSetDestination } from '@lead-router/routing';
import { checkDestinationCredentials, credentialRefsOf } from './destination-credentials.check';

const destinations = new Map<string, RuleSetDestination>([
  ['crm', destinationSchema.parse({ type: 'salesforce', login_url: 'https://login.example.com' })],
  ['contacts', destinationSchema.parse({ type: 'hubspot', token: { file: '/run/secrets/hs' } })],
  ['inbox', destinationSchema.parse({ type: 'webhook', url: 'https://hooks.example.com/in' })],
]);

const problemsOf = (run: () => void): string[] => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  return [];
};

describe('credentialRefsOf', () => {
  it("finds a destination's references, defaults and nested auth included", () => {
    assert.deepEqual(credentialRefsOf(destinations.get('crm')!), [
      { env: 'SALESFORCE_CLIENT_ID' },
      { env: 'SALESFORCE_CLIENT_SECRET' },
    ]);
    assert.deepEqual(credentialRefsOf(destinations.get('inbox')!), [{ env: 'WEBHOOK_SECRET' }]);
  });
});

describe('checkDestinationCredentials', () => {
  it("names every missing variable and unreadable file of the sink's types, by destination", () => {
    const problems = problemsOf(() =>
      checkDestinationCredentials(destinations, ['salesforce', 'hubspot'], {
        env: { SALESFORCE_CLIENT_ID: 'client-id-value' },
        readFile: () => {
          throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        },
      }),
    );
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['SALESFORCE_CLIENT_SECRET', '/run/secrets/hs'],
    );
    assert.match(problems[0]!, /\(destination crm\)$/);
    assert.match(problems[1]!, /ENOENT.*\(destination contacts\)$/);
    assert.doesNotMatch(problems.join('\n'), /client-id-value/);
  });

  it('ignores destinations of other types and passes when every credential reads', () => {
    assert.doesNotThrow(() =>
      checkDestinationCredentials(destinations, ['webhook'], {
        env: { WEBHOOK_SECRET: 'whsec_eA==' },
      }),
    );
  });
});
