import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { controllerLayoutMismatch, startStack } from './stack';
import { StackError } from './stack.errors';

describe('startStack: the controller layout a data dir was formatted with', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  /** A data dir whose broker storage is formatted, with a separate controller's or without. */
  const formatted = (withController: boolean): string => {
    const dir = mkdtempSync(join(tmpdir(), 'lead-router-stack-spec-'));
    dirs.push(dir);
    const metaIn = (sub: string) => {
      mkdirSync(join(dir, sub, 'data'), { recursive: true });
      writeFileSync(join(dir, sub, 'data', 'meta.properties'), 'version=1\n');
    };
    metaIn('kafka');
    if (withController) metaIn('kafka-controller');
    return dir;
  };
  const refusal = (dataDir: string, controller: 'combined' | 'separate') =>
    assert.rejects(startStack({ dataDir, controller, registry: false }), (err: unknown) => {
      assert.ok(err instanceof StackError);
      assert.equal(err.code, 'bad_config');
      assert.match(
        err.message,
        controller === 'separate' ? /with a combined controller/ : /with a separate controller/,
      );
      return true;
    });

  it('refuses to start a separate controller on storage a combined node formatted', () =>
    refusal(formatted(false), 'separate'));

  it('refuses to start a combined node on storage formatted for a separate controller', () =>
    refusal(formatted(true), 'combined'));

  it('starts either layout on a fresh data dir, and each on its own again', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'lead-router-stack-spec-'));
    dirs.push(fresh);
    assert.equal(controllerLayoutMismatch(fresh, false), undefined);
    assert.equal(controllerLayoutMismatch(fresh, true), undefined);
    assert.equal(controllerLayoutMismatch(formatted(false), false), undefined);
    assert.equal(controllerLayoutMismatch(formatted(true), true), undefined);
  });

  it('says which layout a data dir has when the other is asked for', () => {
    assert.match(controllerLayoutMismatch(formatted(false), true)!, /with a combined controller/);
    assert.match(controllerLayoutMismatch(formatted(true), false)!, /with a separate controller/);
  });

  it('refuses a separate controller on a secure stack', () =>
    assert.rejects(
      startStack({
        dataDir: formatted(false),
        controller: 'separate',
        security: 'sasl_ssl',
        registry: false,
      }),
      /plaintext stacks only/,
    ));
});
