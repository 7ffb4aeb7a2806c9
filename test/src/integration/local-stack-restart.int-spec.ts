import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startStack, type LocalStack } from '@lead-router/local-stack';

/**
 * The local stack keeps topics and schemas in its data directory, and starting it again there is
 * how a developer gets them back. Apicurio answers the compatibility PUT of the second start with
 * 409 (the rule exists already, in the broker's storage topic), which stopped the stack.
 */
describe('the local stack started again on its data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lead-router-restart-'));
  let stack: LocalStack | undefined;
  after(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, and still holds the schema registered before', async () => {
    const options = {
      dataDir: join(dir, 'stack'),
      // A shared 2-core machine under load has taken over a minute to bring a broker up.
      brokerTimeoutMs: 180_000,
      registryTimeoutMs: 180_000,
    };
    stack = await startStack(options);
    const subject = `${stack.registryUrl}/subjects/restart-value/versions`;
    const schema = JSON.stringify({ type: 'record', name: 'Restart', fields: [] });
    const registered = await fetch(subject, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema }),
    });
    assert.equal(registered.status, 200, await registered.text());
    await stack.stop();
    stack = undefined;

    stack = await startStack(options);
    const config = (await (await fetch(`${stack.registryUrl}/config`)).json()) as {
      compatibilityLevel?: string;
    };
    assert.equal(config.compatibilityLevel, 'BACKWARD');
    const versions = await fetch(subject);
    assert.equal(versions.status, 200);
    assert.deepEqual(await versions.json(), [1]);
  });
});
