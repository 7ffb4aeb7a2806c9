import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from './config.loader';
import { resolveCredential } from './credential.resolver';

const SECRET = 'pat-na1-11112222-3333';

function refusal(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  return assert.fail('expected a ConfigError');
}

describe('resolveCredential', () => {
  const sut = resolveCredential;

  it('reads an environment variable', () => {
    assert.equal(sut({ env: 'HUBSPOT_TOKEN' }, { env: { HUBSPOT_TOKEN: SECRET } }), SECRET);
  });

  it('reads a mounted file without its trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'credential-'));
    const file = join(dir, 'token');
    writeFileSync(file, `${SECRET}\n`);
    assert.equal(sut({ file }), SECRET);
  });

  it('reads through the readFile it is given', () => {
    const read: string[] = [];
    const readFile = (path: string) => {
      read.push(path);
      return SECRET;
    };
    assert.equal(sut({ file: '/run/secrets/hub' }, { readFile }), SECRET);
    assert.deepEqual(read, ['/run/secrets/hub']);
  });

  it('names an unset variable, not its value', () => {
    const error = refusal(() => sut({ env: 'HUBSPOT_TOKEN' }, { env: {} }));
    assert.deepEqual(error.problems, [
      'HUBSPOT_TOKEN: not set; the rule set names it as a credential',
    ]);
    assert.deepEqual(error.context['keys'], ['HUBSPOT_TOKEN']);
  });

  it('refuses an empty variable', () => {
    const error = refusal(() => sut({ env: 'HUBSPOT_TOKEN' }, { env: { HUBSPOT_TOKEN: '  ' } }));
    assert.match(error.message, /HUBSPOT_TOKEN: empty/);
  });

  it('names a missing file and why it could not be read', () => {
    const error = refusal(() => sut({ file: join(tmpdir(), 'no-such-credential-file') }));
    assert.match(
      error.message,
      /no-such-credential-file: cannot read the credential file \(ENOENT\)/,
    );
  });

  it('refuses an empty file, naming it', () => {
    const error = refusal(() => sut({ file: '/run/secrets/sf' }, { readFile: () => '\n' }));
    assert.deepEqual(error.problems, ['/run/secrets/sf: empty; it must hold the credential']);
  });
});
