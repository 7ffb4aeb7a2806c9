import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manifestTargets, parseTargets } from './top.targets';

describe('manifestTargets', () => {
  it('puts every service of the manifest at its default port on the host, pipeline-fused last and optional', () => {
    const sut = manifestTargets('127.0.0.1', {});
    assert.deepEqual(sut.slice(0, 3), [
      { name: 'ingest', url: 'http://127.0.0.1:8080' },
      { name: 'source-fetcher', url: 'http://127.0.0.1:8189' },
      { name: 'normalizer', url: 'http://127.0.0.1:8181' },
    ]);
    assert.ok(sut.some((t) => t.name === 'sink-hubspot' && t.url === 'http://127.0.0.1:8188'));
    assert.deepEqual(sut.at(-1), {
      name: 'pipeline-fused',
      url: 'http://127.0.0.1:8190',
      replaces: ['normalizer', 'enricher'],
    });
  });

  it('reads the port variables npm start reads', () => {
    const sut = manifestTargets('lr.internal', {
      SINK_WEBHOOK_PORT: '9184',
      INGEST_PORT: '9080',
      PORT: '1',
    });
    assert.ok(sut.some((t) => t.url === 'http://lr.internal:9184' && t.name === 'sink-webhook'));
    assert.ok(sut.some((t) => t.url === 'http://lr.internal:9080' && t.name === 'ingest'));
    assert.ok(!sut.some((t) => t.url.endsWith(':1')));
  });
});

describe('parseTargets', () => {
  it('takes name=url and bare addresses', () => {
    assert.deepEqual(
      parseTargets('router=http://10.0.0.5:8183/, 10.0.0.6:8184,https://lr.example/x'),
      [
        { name: 'router', url: 'http://10.0.0.5:8183' },
        { name: null, url: 'http://10.0.0.6:8184' },
        { name: null, url: 'https://lr.example/x' },
      ],
    );
  });

  it('refuses an empty list and an address that is no URL', () => {
    assert.throws(() => parseTargets(' , '), /--targets names no target/);
    assert.throws(() => parseTargets('router=http://'), /router=http:\/\/ is not a URL/);
  });
});
