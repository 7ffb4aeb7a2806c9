import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { RulesFileError } from './rules-file.error';
import { loadRules } from './rules.loader';
import { SERVED, rulesYaml } from './routing-runtime.fixture';

const dir = mkdtempSync(join(tmpdir(), 'rules-loader-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadRules', () => {
  const sut = (path: string) => loadRules(path, SERVED);

  it('compiles a valid rule set', () => {
    const compiled = sut(file('ok.yaml', rulesYaml('3')));
    assert.equal(compiled.id, 't');
    assert.equal(compiled.version, '3');
  });

  it('refuses an invalid rule set with every issue and where it is', () => {
    const path = file('bad.yaml', rulesYaml('3').replace('method: round_robin', 'method: lottery'));
    assert.throws(
      () => sut(path),
      (err: unknown) => {
        assert.ok(err instanceof RulesFileError);
        assert.ok(err instanceof LeadRouterError);
        assert.equal(err.code, 'invalid_rule_set');
        assert.equal(err.retriable, false);
        assert.equal(err.context['file'], path);
        assert.ok(err.issues.length > 0);
        assert.match(err.message, new RegExp(`^invalid rule set:\\n${path}:\\d+:\\d+ `));
        return true;
      },
    );
  });

  it('refuses to start on a destination type no sink serves, naming the rules and where', () => {
    const path = file(
      'salesforce.yaml',
      rulesYaml('3').replace(
        'crm: { type: webhook, url: "https://crm.example.com/leads" }',
        'crm: { type: salesforce }',
      ),
    );
    assert.throws(
      () => sut(path),
      (err: unknown) => {
        assert.ok(err instanceof RulesFileError);
        assert.equal(err.code, 'invalid_rule_set');
        assert.equal(
          err.message,
          `invalid rule set:\n${path}:4:16  destinations.crm.type: destination "crm" is of type salesforce, which no sink serves (served: webhook); rules "vip", "france" and the fallback route leads to it, which would be lost; route them to a served destination`,
        );
        return true;
      },
    );
    assert.equal(loadRules(path, ['webhook', 'salesforce']).version, '3');
  });

  it('says which file it cannot read, keeping the cause', () => {
    const path = join(dir, 'missing.yaml');
    assert.throws(
      () => sut(path),
      (err: unknown) =>
        err instanceof RulesFileError &&
        err.code === 'rules_file_unreadable' &&
        err.message.startsWith(`cannot read the rule set ${path}: ENOENT`) &&
        (err.cause as NodeJS.ErrnoException).code === 'ENOENT',
    );
  });
});
