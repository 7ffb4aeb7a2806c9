import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRuleSet, type RuleSetIssue } from './rules.parser';
import { ruleSetJsonSchema } from './rules.schema';
import { DEFAULT_RULES } from './routing.fixture';

function issuesOf(yamlText: string): RuleSetIssue[] {
  const result = parseRuleSet(yamlText);
  if (result.ok) assert.fail('expected the rule set to be rejected');
  return result.error;
}

describe('parseRuleSet', () => {
  const sut = parseRuleSet;

  it('parses a valid rule set', () => {
    const result = sut(DEFAULT_RULES);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
    assert.equal(result.value.version, '2026-11-25.1');
    assert.deepEqual(
      result.value.rules.map((r) => r.name),
      ['enterprise-emea', 'vip'],
    );
    assert.deepEqual(result.value.segments['emea'], {
      any: [{ path: 'lead.country', in: ['DE', 'FR', 'GB'] }],
    });
  });

  it('reports YAML syntax errors with their position', () => {
    assert.deepEqual(issuesOf('id: x\nrules: [ { name: a\n')[0], {
      path: '(yaml)',
      message: 'Flow map in block collection must be sufficiently indented and end with a }',
      line: 3,
      column: 1,
    });
  });

  it('reports shape errors at their line and column, all at once', () => {
    const yamlText = `id: default
version: "1"
destinations:
  demo-inbox: { type: webhook }
rules:
  - name: bad
    when: { all: [ { path: lead.country, inn: [DE] }, { path: lead.email, eq: x, ne: y } ] }
    queue: sales
    owner: "005"
    destinations: [demo-inbox]
`;
    assert.deepEqual(issuesOf(yamlText), [
      {
        path: 'destinations.demo-inbox',
        message: 'a webhook destination needs a url',
        line: 4,
        column: 15,
      },
      {
        path: 'rules[0].when.all[0]',
        message: 'unknown key "inn"',
        line: 7,
        column: 20,
      },
      {
        path: 'rules[0].when.all[0]',
        message:
          'expected exactly one operator: eq, ne, in, not_in, gt, gte, lt, lte, between, contains, starts_with, ends_with, matches, exists, missing',
        line: 7,
        column: 20,
      },
      {
        path: 'rules[0].when.all[1]',
        message:
          'expected exactly one operator: eq, ne, in, not_in, gt, gte, lt, lte, between, contains, starts_with, ends_with, matches, exists, missing',
        line: 7,
        column: 55,
      },
      {
        path: 'rules[0]',
        message: 'expected exactly one of queue or owner',
        line: 6,
        column: 5,
      },
      {
        path: 'fallback',
        message: 'Invalid input: expected object, received undefined',
        line: 1,
        column: 1,
      },
    ]);
  });

  it('explains a condition that is none of the known shapes', () => {
    const yamlText = DEFAULT_RULES.replace(
      'when: { path: lead.attributes.tier, eq: vip }',
      'when: { country: DE }',
    );
    assert.deepEqual(issuesOf(yamlText), [
      {
        path: 'rules[1].when',
        message:
          'expected a condition: { all: [...] }, { any: [...] }, { not: ... }, { segment: name } or { path: ..., <operator>: value }',
        line: 20,
        column: 11,
      },
    ]);
  });

  it('reports dangling references, duplicate names and missing owners', () => {
    const yamlText = DEFAULT_RULES.replace('{ segment: emea }', '{ segment: apac }')
      .replace('name: vip', 'name: enterprise-emea')
      .replace('owners: { demo-inbox: "005B2", crm: "SF-B" }', 'owners: { demo-inbox: "005B2" }')
      .replace('destinations: [demo-inbox]\nfallback', 'destinations: [nowhere]\nfallback');
    assert.deepEqual(issuesOf(yamlText), [
      {
        path: 'rules[0].when.all[0]',
        message: 'segment "apac" is not defined under segments',
        line: 16,
        column: 20,
      },
      {
        path: 'rules[1].name',
        message: 'rule name "enterprise-emea" is already used by rules[0]',
        line: 19,
        column: 11,
      },
      {
        path: 'rules[1].destinations[0]',
        message: 'destination "nowhere" is not defined under destinations',
        line: 22,
        column: 20,
      },
      {
        path: 'queues.sales.members[1].owners',
        message:
          'member "bob" has no owner for destination "crm", which rule "enterprise-emea" sends queue "sales" to',
        line: 11,
        column: 28,
      },
    ]);
  });

  it('detects segment cycles and unsafe patterns', () => {
    const yamlText = DEFAULT_RULES.replace(
      'segments:\n',
      'segments:\n  a: { segment: b }\n  b: { all: [ { segment: a }, { path: lead.email, matches: "(a+)+$" } ] }\n',
    );
    assert.deepEqual(
      issuesOf(yamlText).map((i) => [i.path, i.message, i.line]),
      [
        [
          'segments.b.all[1].matches',
          'a repeated group that itself contains a repetition can take exponential time',
          14,
        ],
        ['segments.a', 'segments refer to each other in a cycle: a -> b -> a', 13],
      ],
    );
  });
});

describe('ruleSetJsonSchema', () => {
  it('describes the rule set, including recursive conditions', () => {
    const schema = ruleSetJsonSchema as { required?: string[]; $defs?: Record<string, unknown> };
    assert.deepEqual(schema.required, ['id', 'version', 'destinations', 'fallback']);
    assert.match(JSON.stringify(schema), /"starts_with"/);
    assert.ok(Object.keys(schema.$defs ?? {}).length > 0);
  });
});
