import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';

import { PropertyValue } from './kafka.config';
import { StackError } from './stack.errors';
import { LogLine, run } from './util';

/** The Kafka listener clients use in the secure stack; the controller's stays PLAINTEXT on loopback. */
export const SECURE_LISTENER = 'SASL_SSL';
export const SCRAM_MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256'] as const;

export interface Credentials {
  username: string;
  password: string;
  /** The password alone, mode 0600: what KAFKA_SASL_PASSWORD_FILE / SCHEMA_REGISTRY_PASSWORD_FILE name. */
  passwordFile: string;
}

/**
 * What the secure stack is made with, all under `<dataDir>/tls` and made once, so a restart on the
 * same data dir keeps the SCRAM credentials the storage was formatted with.
 */
export interface StackSecurity {
  dir: string;
  /** The stack's own CA (PEM): what KAFKA_SSL_CA_FILE and SCHEMA_REGISTRY_CA_FILE name. */
  caFile: string;
  /** The server certificate (SAN 127.0.0.1 and localhost) of the broker and the registry proxy. */
  certFile: string;
  keyFile: string;
  /** Key + certificate in one PEM file: the broker's keystore (`ssl.keystore.type=PEM`). */
  keystoreFile: string;
  /** The broker's own SCRAM user, for the inter-broker listener. */
  broker: Credentials;
  /** The SCRAM user services, leadctl and the registry's Kafka client log in with. */
  client: Credentials;
  /** Basic auth at the registry proxy. */
  registry: Credentials;
}

const DAYS = 825;

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  const res = await run('openssl', args, { cwd });
  if (res.code !== 0)
    throw new StackError(
      `openssl ${args[0] ?? ''} failed (exit ${res.code ?? res.signal ?? '?'}):\n${res.output.trim()}`,
      'command_failed',
      { context: { dir: cwd } },
    );
}

function credentials(dir: string, username: string): Credentials {
  const passwordFile = path.join(dir, `${username}.password`);
  if (!fs.existsSync(passwordFile))
    fs.writeFileSync(passwordFile, `${crypto.randomBytes(18).toString('base64url')}\n`, {
      mode: 0o600,
    });
  return {
    username,
    password: fs.readFileSync(passwordFile, 'utf8').trim(),
    passwordFile,
  };
}

/**
 * Makes the stack's CA, a server certificate for 127.0.0.1 signed by it, and random passwords for
 * the broker, client and registry users (with openssl), unless `<dataDir>/tls` has them already.
 */
export async function ensureStackSecurity(dataDir: string, log: LogLine): Promise<StackSecurity> {
  const dir = path.join(dataDir, 'tls');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    caKey: path.join(dir, 'ca.key'),
    caFile: path.join(dir, 'ca.pem'),
    keyFile: path.join(dir, 'server.key'),
    certFile: path.join(dir, 'server.pem'),
    keystoreFile: path.join(dir, 'server-keystore.pem'),
  };
  if (!fs.existsSync(files.keystoreFile)) {
    log(`making a CA and a server certificate for 127.0.0.1 in ${dir} (openssl)`);
    const rsa = ['-newkey', 'rsa:2048', '-nodes'];
    await openssl(
      [
        'req',
        '-x509',
        ...rsa,
        '-keyout',
        files.caKey,
        '-out',
        files.caFile,
        '-days',
        String(DAYS),
        '-subj',
        '/CN=lead-router local stack CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      dir,
    );
    const csr = path.join(dir, 'server.csr');
    const ext = path.join(dir, 'server.ext');
    fs.writeFileSync(
      ext,
      'subjectAltName=IP:127.0.0.1,DNS:localhost\n' +
        'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n',
    );
    await openssl(
      ['req', ...rsa, '-keyout', files.keyFile, '-out', csr, '-subj', '/CN=localhost'],
      dir,
    );
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        files.caFile,
        '-CAkey',
        files.caKey,
        '-CAcreateserial',
        '-out',
        files.certFile,
        '-days',
        String(DAYS),
        '-extfile',
        ext,
      ],
      dir,
    );
    for (const f of [files.caKey, files.keyFile]) fs.chmodSync(f, 0o600);
    fs.writeFileSync(
      files.keystoreFile,
      fs.readFileSync(files.keyFile, 'utf8') + fs.readFileSync(files.certFile, 'utf8'),
      { mode: 0o600 },
    );
  }
  return {
    dir,
    caFile: files.caFile,
    certFile: files.certFile,
    keyFile: files.keyFile,
    keystoreFile: files.keystoreFile,
    broker: credentials(dir, 'broker'),
    client: credentials(dir, 'lead-router'),
    registry: credentials(dir, 'registry'),
  };
}

const jaas = (c: Credentials): string =>
  `org.apache.kafka.common.security.scram.ScramLoginModule required username="${c.username}" password="${c.password}";`;

/**
 * server.properties of the secure stack: one SASL_SSL listener (SCRAM-SHA-512 and -256, TLS with
 * the stack's certificate) for clients and for the broker itself; the controller listener stays
 * PLAINTEXT on 127.0.0.1, inside the one node.
 */
export function saslSslServerProperties(
  s: StackSecurity,
  ports: { kafkaPort: number; controllerPort: number },
): Record<string, PropertyValue> {
  const listener = SECURE_LISTENER.toLowerCase();
  return {
    listeners: `${SECURE_LISTENER}://127.0.0.1:${ports.kafkaPort},CONTROLLER://127.0.0.1:${ports.controllerPort}`,
    'advertised.listeners': `${SECURE_LISTENER}://127.0.0.1:${ports.kafkaPort}`,
    'inter.broker.listener.name': SECURE_LISTENER,
    'listener.security.protocol.map': `CONTROLLER:PLAINTEXT,${SECURE_LISTENER}:${SECURE_LISTENER}`,
    'sasl.enabled.mechanisms': SCRAM_MECHANISMS.join(','),
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    ...Object.fromEntries(
      SCRAM_MECHANISMS.map((m) => [
        `listener.name.${listener}.${m.toLowerCase()}.sasl.jaas.config`,
        jaas(s.broker),
      ]),
    ),
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': s.keystoreFile,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': s.caFile,
    'ssl.client.auth': 'none',
    'ssl.endpoint.identification.algorithm': 'https',
  };
}

/** `kafka-storage format` arguments that add every user's SCRAM credentials to the metadata log. */
export function scramFormatArgs(s: StackSecurity): string[] {
  return [s.broker, s.client].flatMap((c) =>
    SCRAM_MECHANISMS.flatMap((m) => [
      '--add-scram',
      `${m}=[name=${c.username},password=${c.password}]`,
    ]),
  );
}

/**
 * Apicurio's kafkasql clients over SASL_SSL: every `apicurio.kafkasql.{producer,consumer,admin}.*`
 * property is passed to that Kafka client. Written to the registry's config/application.properties
 * (mode 0600) rather than its command line, which any local user can read.
 */
export function registryKafkaProperties(s: StackSecurity): Record<string, string> {
  const client = {
    'security.protocol': SECURE_LISTENER,
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': jaas(s.client),
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': s.caFile,
  };
  return Object.fromEntries(
    ['producer', 'consumer', 'admin'].flatMap((role) =>
      Object.entries(client).map(([k, v]) => [`apicurio.kafkasql.${role}.${k}`, v]),
    ),
  );
}

/** Java .properties text; backslashes and the characters a value may not hold raw are escaped. */
export function propertiesText(props: Record<string, string>): string {
  const esc = (v: string): string =>
    v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/=/g, '\\=').replace(/:/g, '\\:');
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${esc(v)}`)
    .join('\n')}\n`;
}

/** The environment a client of the secure stack needs, passwords by file. */
export function secureClientEnv(s: StackSecurity): Record<string, string> {
  return {
    KAFKA_SECURITY_PROTOCOL: SECURE_LISTENER,
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: s.client.username,
    KAFKA_SASL_PASSWORD_FILE: s.client.passwordFile,
    KAFKA_SSL_CA_FILE: s.caFile,
    SCHEMA_REGISTRY_USERNAME: s.registry.username,
    SCHEMA_REGISTRY_PASSWORD_FILE: s.registry.passwordFile,
    SCHEMA_REGISTRY_CA_FILE: s.caFile,
  };
}

/** One TLS handshake with the listener, verifying its certificate against the stack's CA. */
export function tlsHandshake(port: number, ca: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.once('secureConnect', () => done(socket.authorized));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
