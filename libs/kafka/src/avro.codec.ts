import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  allSchemas,
  type SchemaName,
  type TopicDeclaration,
  valueSubject,
} from '@lead-router/schemas';
import { Type } from 'avsc';
import { request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import {
  DecodeError,
  InvalidRecordError,
  SchemaNotRegisteredError,
  SchemaRegistryError,
  TransientError,
} from './errors';

/** Confluent wire format: magic byte 0, then the 4-byte big-endian schema id, then Avro. */
const MAGIC_BYTE = 0;
const HEADER_LENGTH = 5;

/** How to reach an authenticated or private-CA registry; both optional. */
export interface RegistryClientOptions {
  /** HTTP basic auth, sent with every request. */
  auth?: { username: string; password: string };
  /** PEM bundle trusted (instead of the system's CAs) for an https registry. */
  ca?: string;
}

export interface AvroCodecOptions extends RegistryClientOptions {
  /**
   * Check every value against its schema before encoding it (default true). Off, a value avsc
   * cannot write still fails with the same `InvalidRecordError` naming its fields, but a value
   * avsc writes without complaint (a string where an int belongs, say) is not caught: the
   * services turn it off in production only, where the values come from typed stage code, and
   * keep it on in demo mode, so the tests and the e2e runs catch a bad record at the producer.
   */
  validate?: boolean;
}

interface Registered {
  id: number;
  type: Type;
}

/**
 * Encodes and decodes topic values as Confluent-wire-format Avro against a schema registry.
 * Each topic's schema is registered once at start (`register`), under `<topic>-value` with
 * BACKWARD compatibility, so a change that would break a reader is refused by the registry.
 * Decoding resolves the writer's schema by the id in the record and reads it into our current
 * schema, so records written by an older producer still decode.
 */
export class AvroCodec {
  private readonly byTopic = new Map<string, Registered>();
  private readonly readers = new Map<string, Type>();
  private readonly resolvers = new Map<string, ReturnType<Type['createResolver']>>();
  private readonly writers = new Map<number, Promise<Type>>();
  private readonly knownWriters = new Map<number, Type>();

  private readonly authorization: string | undefined;
  private readonly ca: string | undefined;
  private readonly validate: boolean;

  constructor(
    readonly registry: SchemaRegistry,
    private readonly registryUrl: string,
    options: AvroCodecOptions = {},
  ) {
    const { auth, ca } = options;
    this.validate = options.validate ?? true;
    this.authorization =
      auth === undefined
        ? undefined
        : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    this.ca = ca;
  }

  /** A codec on the registry at `url`, with basic auth and a trusted CA when given. */
  static connect(url: string, options: AvroCodecOptions = {}): AvroCodec {
    const { auth, ca } = options;
    const tls = ca !== undefined && url.startsWith('https:');
    const registry = new SchemaRegistry({
      host: url,
      retry: { retries: 5 },
      // Field by field: the config keeps the password out of enumeration (and so out of logs).
      ...(auth !== undefined ? { auth: { username: auth.username, password: auth.password } } : {}),
      ...(tls ? { agent: new HttpsAgent({ ca, keepAlive: true }) } : {}),
    });
    return new AvroCodec(registry, url, options);
  }

  async register(declarations: readonly TopicDeclaration[]): Promise<void> {
    for (const d of declarations) await this.registerTopic(d.name, d.valueSchema);
  }

  async registerTopic(topic: string, schemaName: SchemaName): Promise<number> {
    const id = await this.registerSchema(valueSubject(topic), allSchemas[schemaName]);
    const type = this.readerFor(schemaName);
    this.byTopic.set(topic, { id, type });
    this.writers.set(id, Promise.resolve(type));
    this.knownWriters.set(id, type);
    return id;
  }

  /** Registers a schema under a subject whose compatibility is set to BACKWARD first. */
  async registerSchema(subject: string, schema: object): Promise<number> {
    await this.requireBackward(subject);
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    return id;
  }

  /**
   * Sets the subject's compatibility before its first schema, so no reader ever sees the subject
   * without the rule. (The registry client sets it only after registering, and services that
   * start together race on it.) Apicurio answers 409 to one of two concurrent first settings;
   * the retry then updates the rule that the other one created.
   */
  private async requireBackward(subject: string): Promise<void> {
    const url = `${this.registryUrl}/config/${encodeURIComponent(subject)}`;
    for (let attempt = 1; ; attempt++) {
      const res = await putJson(url, JSON.stringify({ compatibility: COMPATIBILITY.BACKWARD }), {
        authorization: this.authorization,
        ca: this.ca,
      });
      if (res.status >= 200 && res.status < 300) return;
      if (res.status !== 409 || attempt >= 5) {
        throw new SchemaRegistryError(
          `the registry refused BACKWARD compatibility for ${subject}: ${res.status} ${res.body}`,
          subject,
          res.status,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }

  schemaId(topic: string): number {
    return this.registered(topic).id;
  }

  /** Encodes a value for a topic whose schema was registered; invalid values name their field. */
  encode(topic: string, value: unknown): Buffer {
    const { id, type } = this.registered(topic);
    // The check without an error hook is avsc's fast path; the paths are only collected for a
    // value that fails it.
    if (this.validate && !type.isValid(value)) throw invalidRecord(topic, type, value);
    let out: Buffer;
    try {
      // One buffer: avsc writes the body after room left for the wire-format header, and only a
      // body larger than its first guess is written again into a larger buffer.
      out = writeAfterHeader(type, value);
    } catch (cause) {
      throw invalidRecord(topic, type, value, cause);
    }
    out.writeUInt8(MAGIC_BYTE, 0);
    out.writeInt32BE(id, 1);
    return out;
  }

  /** Decodes a record value into the current version of `schemaName`. */
  async decode<T>(buffer: Buffer | null, schemaName: SchemaName): Promise<T> {
    const id = schemaIdOf(buffer);
    if (!this.knownWriters.has(id)) await this.learnWriter(id);
    return this.decodeKnown<T>(buffer!, id, schemaName);
  }

  /**
   * True when `decodeSync` can read the value without asking the registry: its writer schema is
   * known here (or the value is not wire-format Avro at all, which `decodeSync` reports at once).
   */
  canDecodeSync(buffer: Buffer | null): boolean {
    if (!buffer || buffer.length < HEADER_LENGTH || buffer.readUInt8(0) !== MAGIC_BYTE) return true;
    return this.knownWriters.has(buffer.readInt32BE(1));
  }

  /**
   * `decode` without a promise, for a value whose writer schema is known (`canDecodeSync`): a
   * stage decodes a chunk of such records in one synchronous pass. Throws `DecodeError` for bytes
   * that do not decode, and for a writer schema not known here.
   */
  decodeSync<T>(buffer: Buffer | null, schemaName: SchemaName): T {
    const id = schemaIdOf(buffer);
    if (!this.knownWriters.has(id)) {
      throw new DecodeError(`schema id ${id} is not known yet: decode it asynchronously`, {
        context: { schemaId: id },
      });
    }
    return this.decodeKnown<T>(buffer!, id, schemaName);
  }

  private decodeKnown<T>(buffer: Buffer, id: number, schemaName: SchemaName): T {
    const writer = this.knownWriters.get(id)!;
    const reader = this.readerFor(schemaName);
    try {
      const body = buffer.subarray(HEADER_LENGTH);
      if (writer === reader) return reader.fromBuffer(body) as T;
      return reader.fromBuffer(body, this.resolver(id, writer, reader)) as T;
    } catch (cause) {
      throw new DecodeError(
        `bytes do not decode as ${schemaName} with schema id ${id}: ${(cause as Error).message}`,
        { context: { schemaId: id }, cause },
      );
    }
  }

  /** Fetches the writer schema of `id` from the registry and keeps it. */
  private async learnWriter(id: number): Promise<void> {
    let writer: Type;
    try {
      writer = await this.writerType(id);
    } catch (cause) {
      // Only the registry's answer that it has no such id makes the record unreadable; a
      // registry that cannot be reached is retried, so an outage dead-letters nothing.
      if (!registryUnreachable(cause)) {
        throw new DecodeError(`schema id ${id} is not known to the registry`, {
          context: { schemaId: id },
          cause,
        });
      }
      throw new TransientError(
        `schema registry ${this.registryUrl} unreachable while reading schema id ${id}`,
        'registry_unavailable',
        { context: { schemaId: id }, cause },
      );
    }
    this.knownWriters.set(id, writer);
  }

  private registered(topic: string): Registered {
    const found = this.byTopic.get(topic);
    if (!found) throw new SchemaNotRegisteredError(topic);
    return found;
  }

  private readerFor(schemaName: SchemaName): Type {
    let type = this.readers.get(schemaName);
    if (!type) {
      type = Type.forSchema(allSchemas[schemaName] as never);
      this.readers.set(schemaName, type);
    }
    return type;
  }

  private writerType(id: number): Promise<Type> {
    let pending = this.writers.get(id);
    if (!pending) {
      // The registry client builds writer types with the same avsc module (one copy in the tree).
      pending = this.registry.getSchema(id).then((s) => {
        if (!Type.isType(s)) {
          throw new DecodeError(`schema id ${id} is not an Avro schema`, {
            context: { schemaId: id },
          });
        }
        return s as unknown as Type;
      });
      pending.catch(() => this.writers.delete(id));
      this.writers.set(id, pending);
    }
    return pending;
  }

  private resolver(id: number, writer: Type, reader: Type): ReturnType<Type['createResolver']> {
    const key = `${id}:${reader.name}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      resolver = reader.createResolver(writer);
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }
}

/** The writer schema id of a Confluent-wire-format value; `DecodeError` for any other bytes. */
function schemaIdOf(buffer: Buffer | null): number {
  if (!buffer || buffer.length < HEADER_LENGTH || buffer.readUInt8(0) !== MAGIC_BYTE) {
    throw new DecodeError('not Confluent-wire-format Avro (missing magic byte or schema id)');
  }
  return buffer.readInt32BE(1);
}

/**
 * The value's Avro body written at offset 5 of one buffer, the header's bytes left for the
 * caller: avsc's `toBuffer` would write into its scratch buffer and copy the body out, and the
 * header would then cost a second copy. The buffer is sized from the largest body of the type so
 * far; a larger body is written again into a buffer of its exact size.
 */
function writeAfterHeader(type: Type, value: unknown): Buffer {
  const guess = HEADER_LENGTH + (largestBody.get(type) ?? 256);
  const out = Buffer.allocUnsafe(guess);
  const end = type.encode(value, out, HEADER_LENGTH);
  if (end > 0) return end === guess ? out : out.subarray(0, end);
  // avsc answers a buffer too small with minus the bytes missing.
  const exact = Buffer.allocUnsafe(guess - end);
  type.encode(value, exact, HEADER_LENGTH);
  largestBody.set(type, exact.length - HEADER_LENGTH);
  return exact;
}

/** The largest Avro body seen per type, which sizes the next encode's buffer. */
const largestBody = new WeakMap<Type, number>();

function invalidRecord(topic: string, type: Type, value: unknown, cause?: unknown): Error {
  const badPaths: string[] = [];
  type.isValid(value, { errorHook: (path) => badPaths.push(path.join('.')) });
  const where = badPaths.length > 0 ? badPaths.join(', ') : String((cause as Error)?.message);
  return new InvalidRecordError(
    `value does not match the ${type.name ?? 'topic'} schema at: ${where}`,
    'schema_mismatch',
    { context: { topic }, ...(cause !== undefined ? { cause } : {}) },
  );
}

/**
 * False only for the registry's answer that it has no such schema (404) and for a writer schema
 * that is not Avro. The registry client reports a connection it could not make as a 400 (its HTTP
 * library's "client error"), so any other failure counts as the registry being unreachable.
 */
/**
 * One PUT to the registry with node:http(s), the status and body answered. node:http is loaded
 * already (the registry client uses it); an HTTP client library for these few requests at start
 * would stay loaded for the process's life (undici: ~30 MB of RSS in a stage process).
 */
function putJson(
  url: string,
  body: string,
  options: { authorization: string | undefined; ca: string | undefined },
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {
    'content-type': 'application/vnd.schemaregistry.v1+json',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (options.authorization !== undefined) headers['authorization'] = options.authorization;
  const https = url.startsWith('https:');
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method: 'PUT', headers, ...(https && options.ca !== undefined ? { ca: options.ca } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function registryUnreachable(err: unknown): boolean {
  if (err instanceof DecodeError) return false;
  return (err as { status?: unknown } | null)?.status !== 404;
}
