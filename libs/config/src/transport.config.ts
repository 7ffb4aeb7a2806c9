import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** How a client reaches Kafka, as in Kafka's own `security.protocol`. */
export const kafkaSecurityProtocol = z.enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);
export const kafkaSaslMechanism = z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']);

/** A file read at start; the error names the key only (the path is in the environment). */
const readable = (what: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .transform((file, ctx) => {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
        ctx.issues.push({
          code: 'custom',
          message: `cannot read the ${what} file (${code})`,
          input: file,
        });
        return z.NEVER;
      }
    });

/** A PEM file: certificates (`CERTIFICATE`) or a private key (`PRIVATE KEY`). */
const pemFile = (label: 'CERTIFICATE' | 'PRIVATE KEY') =>
  readable(label === 'CERTIFICATE' ? 'certificate' : 'key').refine(
    (text) => new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text),
    `expected a PEM file with a ${label}`,
  );

/** A mounted secret: the file's content without the trailing newline editors and `echo` add. */
const secretFile = readable('secret')
  .transform((text) => text.replace(/\r?\n$/, ''))
  .refine((text) => text !== '', 'the secret file is empty');

/**
 * The keys that say how every client (services, leadctl, the benches) reaches Kafka and the
 * schema registry: TLS, SASL and registry basic auth. Spread into `platformEnv`.
 */
export const transportEnv = {
  KAFKA_SECURITY_PROTOCOL: kafkaSecurityProtocol.default('PLAINTEXT'),
  KAFKA_SASL_MECHANISM: kafkaSaslMechanism.default('SCRAM-SHA-512'),
  KAFKA_SASL_USERNAME: z.string().min(1, 'must not be empty').optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1, 'must not be empty').optional(),
  KAFKA_SASL_PASSWORD_FILE: secretFile.optional(),
  KAFKA_SSL_CA_FILE: pemFile('CERTIFICATE').optional(),
  KAFKA_SSL_CERT_FILE: pemFile('CERTIFICATE').optional(),
  KAFKA_SSL_KEY_FILE: pemFile('PRIVATE KEY').optional(),
  SCHEMA_REGISTRY_USERNAME: z.string().min(1, 'must not be empty').optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().min(1, 'must not be empty').optional(),
  SCHEMA_REGISTRY_PASSWORD_FILE: secretFile.optional(),
  SCHEMA_REGISTRY_CA_FILE: pemFile('CERTIFICATE').optional(),
};

/** The parsed transport keys (file keys hold the file's content). */
export type TransportEnv = z.infer<z.ZodObject<typeof transportEnv>>;

/** TLS towards the brokers: PEM text; no CA means the system's CAs. Verification is always on. */
export interface KafkaTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface KafkaSasl {
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

export interface KafkaTransport {
  /** Absent for PLAINTEXT and SASL_PLAINTEXT. */
  ssl?: KafkaTls;
  /** Absent for PLAINTEXT and SSL. */
  sasl?: KafkaSasl;
}

export interface RegistryTransport {
  /** HTTP basic auth on every registry request. */
  auth?: { username: string; password: string };
  /** PEM bundle trusted for an https registry, in addition to the system's CAs. */
  ca?: string;
}

export interface TransportConfig {
  kafka: KafkaTransport;
  registry: RegistryTransport;
}

/**
 * Maps the parsed keys to client settings, or lists the combinations that cannot work. Keys set
 * for a protocol that does not use them are problems too: credentials meant for SASL_SSL must not
 * end up unused on a PLAINTEXT connection because the protocol key was forgotten.
 */
export function resolveTransport(
  env: TransportEnv,
): { ok: true; config: TransportConfig } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const protocol = env.KAFKA_SECURITY_PROTOCOL;
  const usesSasl = protocol === 'SASL_SSL' || protocol === 'SASL_PLAINTEXT';
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';

  if (env.KAFKA_SASL_PASSWORD !== undefined && env.KAFKA_SASL_PASSWORD_FILE !== undefined)
    problems.push(
      'KAFKA_SASL_PASSWORD_FILE: set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
    );
  const saslPassword = env.KAFKA_SASL_PASSWORD ?? env.KAFKA_SASL_PASSWORD_FILE;
  if (usesSasl) {
    if (env.KAFKA_SASL_USERNAME === undefined)
      problems.push(`KAFKA_SASL_USERNAME: required when KAFKA_SECURITY_PROTOCOL is ${protocol}`);
    if (saslPassword === undefined)
      problems.push(
        `KAFKA_SASL_PASSWORD: required (or KAFKA_SASL_PASSWORD_FILE) when KAFKA_SECURITY_PROTOCOL is ${protocol}`,
      );
  } else {
    for (const key of [
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
      'KAFKA_SASL_PASSWORD_FILE',
    ] as const) {
      if (env[key] !== undefined)
        problems.push(
          `${key}: set, but KAFKA_SECURITY_PROTOCOL is ${protocol} (SASL_SSL or SASL_PLAINTEXT use it)`,
        );
    }
  }
  if (!usesTls) {
    for (const key of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
      if (env[key] !== undefined)
        problems.push(
          `${key}: set, but KAFKA_SECURITY_PROTOCOL is ${protocol} (SSL or SASL_SSL use it)`,
        );
    }
  }
  if ((env.KAFKA_SSL_CERT_FILE === undefined) !== (env.KAFKA_SSL_KEY_FILE === undefined))
    problems.push(
      `${env.KAFKA_SSL_CERT_FILE === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE'}: ` +
        'mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    );

  if (env.SCHEMA_REGISTRY_PASSWORD !== undefined && env.SCHEMA_REGISTRY_PASSWORD_FILE !== undefined)
    problems.push(
      'SCHEMA_REGISTRY_PASSWORD_FILE: set either SCHEMA_REGISTRY_PASSWORD or SCHEMA_REGISTRY_PASSWORD_FILE, not both',
    );
  const registryPassword = env.SCHEMA_REGISTRY_PASSWORD ?? env.SCHEMA_REGISTRY_PASSWORD_FILE;
  if (env.SCHEMA_REGISTRY_USERNAME !== undefined && registryPassword === undefined)
    problems.push(
      'SCHEMA_REGISTRY_PASSWORD: required (or SCHEMA_REGISTRY_PASSWORD_FILE) with SCHEMA_REGISTRY_USERNAME',
    );
  if (env.SCHEMA_REGISTRY_USERNAME === undefined && registryPassword !== undefined)
    problems.push('SCHEMA_REGISTRY_USERNAME: required with a registry password');

  if (problems.length > 0) return { ok: false, problems };

  const kafka: KafkaTransport = {};
  if (usesTls) {
    kafka.ssl = {
      ...(env.KAFKA_SSL_CA_FILE !== undefined ? { ca: env.KAFKA_SSL_CA_FILE } : {}),
      ...(env.KAFKA_SSL_CERT_FILE !== undefined ? { cert: env.KAFKA_SSL_CERT_FILE } : {}),
      ...(env.KAFKA_SSL_KEY_FILE !== undefined ? { key: env.KAFKA_SSL_KEY_FILE } : {}),
    };
  }
  if (usesSasl && env.KAFKA_SASL_USERNAME !== undefined && saslPassword !== undefined) {
    kafka.sasl = secretHolder({
      mechanism: env.KAFKA_SASL_MECHANISM.toLowerCase() as KafkaSasl['mechanism'],
      username: env.KAFKA_SASL_USERNAME,
      password: saslPassword,
    });
  }
  const registry: RegistryTransport = {};
  if (env.SCHEMA_REGISTRY_USERNAME !== undefined && registryPassword !== undefined)
    registry.auth = secretHolder({
      username: env.SCHEMA_REGISTRY_USERNAME,
      password: registryPassword,
    });
  if (env.SCHEMA_REGISTRY_CA_FILE !== undefined) registry.ca = env.SCHEMA_REGISTRY_CA_FILE;
  return { ok: true, config: { kafka, registry } };
}

/**
 * Keeps `password` out of JSON and of a logged config object: it is not enumerable, so
 * `JSON.stringify`, pino and `util.inspect` skip it, while `holder.password` still reads it.
 */
function secretHolder<T extends { password: string }>(value: T): T {
  const { password, ...rest } = value;
  return Object.defineProperty({ ...rest }, 'password', {
    value: password,
    enumerable: false,
  }) as T;
}
