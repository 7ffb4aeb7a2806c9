import * as net from 'node:net';

import { StackError } from './stack.errors';

/**
 * A minimal Kafka wire-protocol readiness probe, so the stack needs no Kafka client library:
 * one Metadata request (api key 3, version 4: the oldest version Kafka 4.x still accepts, and the
 * newest non-flexible one), asking for no topics. In KRaft a broker lists itself in the response
 * only once it is registered and unfenced, i.e. ready to serve produce/consume/admin requests.
 */
export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataInfo {
  brokers: MetadataBroker[];
  clusterId: string | null;
  controllerId: number;
}

const METADATA_API_KEY = 3;
const METADATA_VERSION = 4;
const CLIENT_ID = 'lead-router-local-stack';

export function encodeMetadataRequest(correlationId: number): Buffer {
  const clientId = Buffer.from(CLIENT_ID, 'utf8');
  // header v1: api_key int16, api_version int16, correlation_id int32, client_id nullable string
  // body v4: topics nullable array (0 = no topics), allow_auto_topic_creation boolean
  const bodyLen = 2 + 2 + 4 + 2 + clientId.length + 4 + 1;
  const buf = Buffer.alloc(4 + bodyLen);
  let o = 0;
  o = buf.writeInt32BE(bodyLen, o);
  o = buf.writeInt16BE(METADATA_API_KEY, o);
  o = buf.writeInt16BE(METADATA_VERSION, o);
  o = buf.writeInt32BE(correlationId, o);
  o = buf.writeInt16BE(clientId.length, o);
  o += clientId.copy(buf, o);
  o = buf.writeInt32BE(0, o);
  buf.writeInt8(0, o);
  return buf;
}

/** Parse a Metadata v4 response payload (without the 4-byte size prefix). */
export function decodeMetadataResponse(
  payload: Buffer,
  expectedCorrelationId: number,
): MetadataInfo {
  let o = 0;
  const need = (n: number): void => {
    if (o + n > payload.length) throw probeError('truncated Metadata response');
  };
  const int32 = (): number => {
    need(4);
    const v = payload.readInt32BE(o);
    o += 4;
    return v;
  };
  const nullableString = (): string | null => {
    need(2);
    const len = payload.readInt16BE(o);
    o += 2;
    if (len < 0) return null;
    need(len);
    const s = payload.toString('utf8', o, o + len);
    o += len;
    return s;
  };
  const correlationId = int32();
  if (correlationId !== expectedCorrelationId)
    throw probeError(`correlation id ${correlationId} != ${expectedCorrelationId}`);
  int32(); // throttle_time_ms
  const count = int32();
  const brokers: MetadataBroker[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = int32();
    const host = nullableString() ?? '';
    const port = int32();
    nullableString(); // rack
    brokers.push({ nodeId, host, port });
  }
  const clusterId = nullableString();
  const controllerId = int32();
  return { brokers, clusterId, controllerId };
}

/** Send one Metadata request to host:port; rejects on connection errors, protocol errors or timeout. */
export function fetchMetadata(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 3000,
): Promise<MetadataInfo> {
  return new Promise((resolve, reject) => {
    const correlationId = Math.floor(Math.random() * 0x7fffffff);
    const sock = net.connect({ port, host });
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: Error | null, info?: MetadataInfo): void => {
      if (settled) return;
      settled = true;
      sock.removeAllListeners();
      sock.destroy();
      if (err !== null) reject(err);
      else if (info !== undefined) resolve(info);
    };
    sock.setTimeout(timeoutMs, () =>
      finish(probeError(`Metadata request to ${host}:${port} timed out`)),
    );
    sock.once('error', (err) => finish(err));
    sock.once('close', () =>
      finish(probeError(`connection to ${host}:${port} closed before a Metadata response`)),
    );
    sock.once('connect', () => sock.write(encodeMetadataRequest(correlationId)));
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const size = buf.readInt32BE(0);
      if (size < 0 || size > 16 * 1024 * 1024) {
        finish(probeError(`bad Metadata response size ${size}`));
        return;
      }
      if (buf.length < 4 + size) return;
      try {
        finish(null, decodeMetadataResponse(buf.subarray(4, 4 + size), correlationId));
      } catch (err) {
        finish(err instanceof Error ? err : probeError(String(err)));
      }
    });
  });
}

/** The broker did not answer as expected: it may not be up yet, so a probe is worth repeating. */
function probeError(message: string): StackError {
  return new StackError(message, 'probe_failed', { retriable: true });
}
