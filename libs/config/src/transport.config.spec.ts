import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  ConfigError,
  loadConfig,
  loadTransportConfig,
  platformConfig,
  platformEnv,
} from './config.loader';

const dir = mkdtempSync(join(tmpdir(), 'transport-config-'));
const file = (name: string, content: string): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const caFile = file('ca.pem', CA);

const service = z.object(platformEnv).transform((e) => platformConfig('ingest', e, 8080));
const base = { KAFKA_BROKERS: 'kafka-1:9093', SCHEMA_REGISTRY_URL: 'https://registry:8443' };
const load = (env: Record<string, string>) => loadConfig(service, { ...base, ...env });

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return [...err.problems];
  }
  assert.fail('expected a ConfigError');
}

const keysOf = (problems: readonly string[]): string[] =>
  problems.map((p) => p.split(':')[0] ?? p).sort();

describe('transport configuration', () => {
  it('is PLAINTEXT without auth when nothing is set', () => {
    const sut = load({});
    assert.deepEqual(sut.kafka, { brokers: ['kafka-1:9093'], clientId: 'lead-router-ingest' });
    assert.deepEqual(sut.registryTransport, {});
  });

  it('maps SASL_SSL with SCRAM, a CA file and registry basic auth', () => {
    const sut = load({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'router',
      KAFKA_SASL_PASSWORD: 's3cret',
      KAFKA_SSL_CA_FILE: caFile,
      SCHEMA_REGISTRY_USERNAME: 'registry-user',
      SCHEMA_REGISTRY_PASSWORD_FILE: file('registry-password', 'r-pass\n'),
      SCHEMA_REGISTRY_CA_FILE: caFile,
    });
    assert.deepEqual(sut.kafka.ssl, { ca: CA });
    assert.equal(sut.kafka.sasl?.mechanism, 'scram-sha-256');
    assert.equal(sut.kafka.sasl?.username, 'router');
    assert.equal(sut.kafka.sasl?.password, 's3cret');
    assert.equal(sut.registryTransport.auth?.username, 'registry-user');
    assert.equal(sut.registryTransport.auth?.password, 'r-pass', 'the trailing newline is trimmed');
    assert.equal(sut.registryTransport.ca, CA);
  });

  it('keeps passwords out of JSON and inspected output', () => {
    const sut = load({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'router',
      KAFKA_SASL_PASSWORD: 'kafka-secret-value',
      SCHEMA_REGISTRY_USERNAME: 'u',
      SCHEMA_REGISTRY_PASSWORD: 'registry-secret-value',
    });
    for (const text of [JSON.stringify(sut), inspect(sut, { depth: 10 })]) {
      assert.doesNotMatch(text, /kafka-secret-value|registry-secret-value/);
    }
    assert.equal(sut.kafka.sasl?.password, 'kafka-secret-value');
  });

  it('uses the system CAs for SSL without a CA file, and takes a client certificate', () => {
    assert.deepEqual(load({ KAFKA_SECURITY_PROTOCOL: 'SSL' }).kafka.ssl, {});
    const sut = load({
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_SSL_CERT_FILE: caFile,
      KAFKA_SSL_KEY_FILE: file('client.key', KEY),
    });
    assert.deepEqual(sut.kafka.ssl, { cert: CA, key: KEY });
    assert.equal(sut.kafka.sasl, undefined);
  });

  it('refuses SASL without credentials, naming the keys and never a value', () => {
    const problems = problemsOf(() => load({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }));
    assert.deepEqual(keysOf(problems), ['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
  });

  it('refuses a password given twice, credentials without a SASL protocol, half a client certificate', () => {
    const problems = problemsOf(() =>
      load({
        KAFKA_SASL_USERNAME: 'router',
        KAFKA_SASL_PASSWORD: 'hunter2-value',
        KAFKA_SASL_PASSWORD_FILE: file('kafka-password', 'hunter2-value\n'),
        KAFKA_SSL_CERT_FILE: caFile,
        SCHEMA_REGISTRY_USERNAME: 'u',
      }),
    );
    assert.deepEqual(keysOf(problems), [
      'KAFKA_SASL_PASSWORD',
      'KAFKA_SASL_PASSWORD_FILE',
      'KAFKA_SASL_PASSWORD_FILE',
      'KAFKA_SASL_USERNAME',
      'KAFKA_SSL_CERT_FILE',
      'KAFKA_SSL_KEY_FILE',
      'SCHEMA_REGISTRY_PASSWORD',
    ]);
    assert.ok(problems.every((p) => !p.includes('hunter2-value')));
  });

  it('refuses a file that cannot be read or is not PEM, and an unknown protocol', () => {
    const problems = problemsOf(() =>
      load({
        KAFKA_SECURITY_PROTOCOL: 'TLS',
        KAFKA_SSL_CA_FILE: join(dir, 'missing.pem'),
        SCHEMA_REGISTRY_CA_FILE: file('not-pem.txt', 'hello'),
        KAFKA_SASL_PASSWORD_FILE: file('empty', '\n'),
      }),
    );
    assert.deepEqual(keysOf(problems), [
      'KAFKA_SASL_PASSWORD_FILE',
      'KAFKA_SECURITY_PROTOCOL',
      'KAFKA_SSL_CA_FILE',
      'SCHEMA_REGISTRY_CA_FILE',
    ]);
    assert.match(
      problems.join('\n'),
      /KAFKA_SSL_CA_FILE: cannot read the certificate file \(ENOENT\)/,
    );
  });

  it('reads the same keys for tools that are not services', () => {
    const sut = loadTransportConfig({
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'PLAIN',
      KAFKA_SASL_USERNAME: 'leadctl',
      KAFKA_SASL_PASSWORD: 'p',
    });
    assert.equal(sut.kafka.ssl, undefined);
    assert.equal(sut.kafka.sasl?.mechanism, 'plain');
    assert.deepEqual(
      keysOf(problemsOf(() => loadTransportConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }))),
      ['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME'],
    );
  });
});
