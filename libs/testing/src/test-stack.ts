import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startStack, type LocalStack } from '@lead-router/local-stack';

export interface TestStack {
  brokers: string[];
  registryUrl: string;
}

let shared: Promise<TestStack> | null = null;
let owned: LocalStack | null = null;

/**
 * The broker and registry the tests run against: an existing cluster named by KAFKA_BROKERS and
 * SCHEMA_REGISTRY_URL when both are set (test/run-all.sh starts one local stack for the whole run
 * and passes it this way), else a local stack started for this process alone.
 */
export function testStack(): Promise<TestStack> {
  shared ??= (async () => {
    const brokers = process.env['KAFKA_BROKERS'];
    const registryUrl = process.env['SCHEMA_REGISTRY_URL'];
    if (brokers && registryUrl) return { brokers: brokers.split(','), registryUrl };
    owned = await startStack({ dataDir: mkdtempSync(join(tmpdir(), 'lead-router-test-')) });
    return { brokers: owned.brokers.split(','), registryUrl: owned.registryUrl };
  })();
  return shared;
}

/** Stops the stack this process started, if any (call from an `after` hook). */
export async function stopTestStack(): Promise<void> {
  await owned?.stop();
  owned = null;
  shared = null;
}

/** A topic prefix and group-id namespace no other test shares. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}.`;
}
