import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchemaRegistryError } from './errors';
import { fakeTime } from './fake-time.fixture';
import { RegistryUnavailableError, registerWhenReachable } from './registry.startup';

const URL = 'http://registry.test:8081/apis/ccompat/v7';

function refused(): Error {
  return new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
}

function recordingLogger() {
  const lines: { context: object; message: string }[] = [];
  return { lines, warn: (context: object, message: string) => lines.push({ context, message }) };
}

describe('registerWhenReachable', () => {
  it('retries an unreachable registry with a doubling, capped delay, naming it each time', async () => {
    const time = fakeTime();
    const logger = recordingLogger();
    let calls = 0;
    await registerWhenReachable(
      async () => {
        calls++;
        if (calls < 6) throw refused();
      },
      { registryUrl: URL, timeoutMs: 60_000, logger, maxDelayMs: 4_000, ...time },
    );
    assert.equal(calls, 6);
    assert.deepEqual(time.sleeps, [500, 1_000, 2_000, 4_000, 4_000]);
    assert.equal(logger.lines.length, 5);
    for (const line of logger.lines) {
      assert.match(line.message, /schema registry http:\/\/registry\.test:8081\S* unreachable/);
      assert.match(line.message, /fetch failed \(ECONNREFUSED\)/);
    }
  });

  it('gives up past the timeout with an error that names the registry and the last reason', async () => {
    const time = fakeTime();
    let calls = 0;
    const sut = registerWhenReachable(
      async () => {
        calls++;
        throw refused();
      },
      { registryUrl: URL, timeoutMs: 10_000, logger: recordingLogger(), ...time },
    );
    await assert.rejects(sut, (err: Error) => {
      assert.ok(err instanceof RegistryUnavailableError);
      assert.match(err.message, /schema registry http:\/\/registry\.test\S* unreachable at start/);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
    assert.ok(time.now() <= 10_000, 'never waits past the timeout');
    assert.ok(calls >= 4);
  });

  it('throws a refusal that no retry can change at once', async () => {
    const time = fakeTime();
    const refusal = new SchemaRegistryError('incompatible schema', 'leads.raw-value', 422);
    await assert.rejects(
      registerWhenReachable(
        async () => {
          throw refusal;
        },
        { registryUrl: URL, timeoutMs: 60_000, logger: recordingLogger(), ...time },
      ),
      (err) => err === refusal,
    );
    assert.deepEqual(time.sleeps, []);
  });

  it('retries a registry answering 5xx', async () => {
    const time = fakeTime();
    let calls = 0;
    await registerWhenReachable(
      async () => {
        if (++calls === 1) throw Object.assign(new Error('Service Unavailable'), { status: 503 });
      },
      { registryUrl: URL, timeoutMs: 60_000, logger: recordingLogger(), ...time },
    );
    assert.equal(calls, 2);
  });
});
