import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseRuleSet, type RuleSetIssue } from './rules.parser';
import { ruleSetJsonSchema } from './rules.schema';
import type { RuleSetValidationOptions } from './rules.validator';
import { DEFAULT_RULES } from './routing.fixture';

function issuesOf(yamlText: string, options?: RuleSetValidationOptions): RuleSetIssue[] {
  const result = parseRuleSet(yamlText, options);
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
        path: 'destinations.demo-inbox.url',
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
        line: 21,
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
        line: 17,
        column: 20,
      },
      {
        path: 'rules[1].name',
        message: 'rule name "enterprise-emea" is already used by rules[0]',
        line: 20,
        column: 11,
      },
      {
        path: 'rules[1].destinations[0]',
        message: 'destination "nowhere" is not defined under destinations',
        line: 23,
        column: 20,
      },
      {
        path: 'queues.sales.members[1].owners',
        message:
          'member "bob" has no owner for destination "crm", which rule "enterprise-emea" sends queue "sales" to',
        line: 12,
        column: 28,
      },
    ]);
  });

  it('refuses a destination whose type no sink serves, naming the rules that route to it', () => {
    const served = { servedDestinationTypes: ['webhook'] } as const;
    const refused = sut(DEFAULT_RULES, served);
    if (refused.ok) assert.fail('expected the salesforce destination to be refused');
    assert.deepEqual(refused.error, [
      {
        path: 'destinations.crm.type',
        message:
          'destination "crm" is of type salesforce, which no sink serves (served: webhook); rule "enterprise-emea" routes leads to it, which would be lost; route them to a served destination',
        line: 5,
        column: 16,
      },
    ]);

    const everywhere = DEFAULT_RULES.replace(
      'fallback:\n  queue: sales\n  destinations: [demo-inbox]',
      'fallback:\n  queue: sales\n  destinations: [crm]',
    ).replace(
      'owner: "005VIP"\n    destinations: [demo-inbox]',
      'owner: "005VIP"\n    destinations: [crm]',
    );
    assert.match(
      issuesOf(everywhere, served)[0]!.message,
      /; rules "enterprise-emea", "vip" and the fallback route leads to it,/,
    );

    const unused = DEFAULT_RULES.replace(
      'destinations: [demo-inbox, crm]',
      'destinations: [demo-inbox]',
    );
    assert.match(issuesOf(unused, served)[0]!.message, /no rule routes to it yet; remove it$/);

    assert.ok(sut(DEFAULT_RULES, { servedDestinationTypes: ['webhook', 'salesforce'] }).ok);
    assert.ok(sut(DEFAULT_RULES).ok, 'without served types, every known type passes');
  });

  it('reports queue, member and availability shape errors', () => {
    const yamlText = `id: t
version: "1"
destinations:
  crm: { type: salesforce }
queues:
  a:
    method: round_robin
    members:
      - { id: x, owners: { crm: "1" } }
  b:
    method: fastest
    when_unavailable: { overflow: c }
    window: 1 day
    members:
      - { id: x, owners: { crm: "1" }, capacity: { max: 0, window: 24h } }
  c:
    method: weighted
    when_unavailable: { overflow: b }
    members:
      - { id: y, owners: { crm: "1" }, working_hours: { timezone: Mars/Olympus, days: [mon, funday], start: "9:00", end: "17:00" } }
      - id: y
        owners: { crm: "2" }
        weight: -1
        working_hours: { timezone: Mars/Olympus, days: [mon], start: "18:00", end: "09:00" }
        out_of_office: [ { start: "2026-12-01", end: "2026-12-02T00:00:00Z" } ]
  d:
    method: round_robin
    when_unavailable: { hold: false }
    members:
      - { id: x, owners: { crm: "1" } }
rules:
  - name: r
    when: { path: lead.email, matches: "(?<=x)" }
    owner: "5"
    skills: [german]
    destinations: [crm]
fallback:
  queue: c
  skills: [german]
  destinations: [crm]
`;
    assert.deepEqual(
      issuesOf(yamlText).map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`),
      [
        '7:5 queues.a.when_unavailable: expected what happens when no member is available: { overflow: <queue> } or { hold: true }',
        '11:13 queues.b.method: Invalid option: expected one of "round_robin"|"weighted"|"load_balanced"|"account_owner"',
        '13:13 queues.b.window: expected a duration such as 30m, 24h or 7d',
        '15:57 queues.b.members[0].capacity.max: Too small: expected number to be >=1',
        '20:93 queues.c.members[0].working_hours.days[1]: Invalid option: expected one of "mon"|"tue"|"wed"|"thu"|"fri"|"sat"|"sun"',
        '20:109 queues.c.members[0].working_hours.start: expected a time of day as HH:MM, e.g. 09:00',
        '23:17 queues.c.members[1].weight: Too small: expected number to be >0',
        '24:84 queues.c.members[1].working_hours.end: end must be later than start',
        '25:35 queues.c.members[1].out_of_office[0].start: expected an ISO 8601 date-time with a zone, e.g. 2026-12-24T00:00:00+01:00',
        '28:31 queues.d.when_unavailable.hold: hold can only be true; to send the lead elsewhere use { overflow: <queue> }',
      ],
    );
  });

  it('reports overflow cycles, unknown zones, duplicate members and unusable skills', () => {
    const yamlText = `id: t
version: "1"
destinations:
  crm: { type: salesforce }
queues:
  b:
    method: round_robin
    when_unavailable: { overflow: c }
    members:
      - { id: x, owners: { crm: "1" } }
  c:
    method: weighted
    when_unavailable: { overflow: b }
    members:
      - { id: y, owners: { crm: "1" }, working_hours: { timezone: Mars/Olympus, days: [mon], start: "09:00", end: "17:00" } }
      - { id: y, owners: { crm: "2" } }
  d:
    method: round_robin
    when_unavailable: { overflow: e }
    members:
      - { id: x, owners: { crm: "1" } }
rules:
  - name: r
    when: { path: lead.email, matches: "(?<=x)" }
    owner: "5"
    skills: [german]
    destinations: [crm]
fallback:
  queue: c
  skills: [german]
  destinations: [crm]
`;
    assert.deepEqual(
      issuesOf(yamlText).map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`),
      [
        '24:40 rules[0].when.matches: not a valid RE2 regular expression (no lookarounds or backreferences): invalid named capture: `(?<=x)`',
        '26:13 rules[0].skills: skills select members of a queue, so they need a queue, not a fixed owner',
        '30:11 fallback.skills: no member of queue "c" has the skill german',
        '15:67 queues.c.members[0].working_hours.timezone: unknown time zone "Mars/Olympus"; expected an IANA name such as Europe/Berlin',
        '16:15 queues.c.members[1].id: member id "y" is already used by members[0]',
        '19:35 queues.d.when_unavailable.overflow: queue "e" is not defined under queues',
        '8:35 queues.b.when_unavailable.overflow: queues overflow into each other in a cycle: b -> c -> b; end the chain with hold: true',
      ],
    );
  });

  it('detects segment cycles and patterns RE2 cannot compile', () => {
    const yamlText = DEFAULT_RULES.replace(
      'segments:\n',
      'segments:\n  a: { segment: b }\n  b: { all: [ { segment: a }, { path: lead.email, matches: "^(?!info@)" } ] }\n',
    );
    assert.deepEqual(issuesOf(yamlText), [
      {
        path: 'segments.b.all[1].matches',
        message:
          'not a valid RE2 regular expression (no lookarounds or backreferences): invalid or unsupported Perl syntax: `(?!`',
        line: 15,
        column: 60,
      },
      {
        path: 'segments.a',
        message: 'segments refer to each other in a cycle: a -> b -> a',
        line: 14,
        column: 6,
      },
    ]);
  });
});

describe('ruleSetJsonSchema', () => {
  it('describes the rule set, including recursive conditions', () => {
    const schema = ruleSetJsonSchema as { required?: string[]; $defs?: Record<string, unknown> };
    assert.deepEqual(schema.required, ['id', 'version', 'destinations', 'fallback']);
    assert.match(JSON.stringify(schema), /"starts_with"/);
    assert.ok(Object.keys(schema.$defs ?? {}).length > 0);
  });

  it('is published in libs/routing/rules.schema.json, up to date', () => {
    const file = join(__dirname, '..', 'rules.schema.json');
    const published: unknown = JSON.parse(readFileSync(file, 'utf8'));
    assert.deepEqual(
      published,
      JSON.parse(JSON.stringify(ruleSetJsonSchema)),
      'libs/routing/rules.schema.json is stale: run `tsc -b libs/routing && node libs/routing/dist/rules-schema.write.js`',
    );
  });
});
