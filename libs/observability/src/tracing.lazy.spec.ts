import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startTracing } from './tracing.sdk';

// node --test runs each spec file in its own process: this one's module cache holds only what
// this file and tracing.sdk load.
const sdkModules = () =>
  Object.keys(require.cache).filter((path) =>
    /[\\/]@opentelemetry[\\/](sdk-trace|exporter-trace-otlp-http|resources|context-async-hooks)[\\/]/.test(
      path,
    ),
  );

describe('startTracing loads the SDK only to trace', () => {
  it('leaves the SDK unloaded when tracing is off, and loads it when it is on', async () => {
    const off = startTracing('spec', { env: {} });
    assert.equal(off.enabled, false);
    assert.deepEqual(sdkModules(), [], 'no SDK module loaded with tracing off');

    const on = startTracing('spec', {
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
    });
    try {
      assert.equal(on.enabled, true);
      assert.ok(sdkModules().length > 0, 'the SDK loaded with tracing on');
    } finally {
      await on.shutdown();
    }
  });
});
