import { hubspotMappingSchema, salesforceMappingSchema } from '@lead-router/crm';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  DEFAULT_RETRY_DELAYS,
  hubspotMapping,
  LITERAL_CREDENTIAL_MESSAGE,
  type RuleSetDestination,
  salesforceMapping,
  VENDOR_BUDGETS,
} from './destination.schema';
import { parseRuleSet, type RuleSetIssue } from './rules.parser';
import { ruleSetJsonSchema } from './rules.schema';
import type { RuleSetValidationOptions } from './rules.validator';
import { queueRules } from './queue.fixture';
import { DEFAULT_RULES } from './routing.fixture';

const SERVED = {
  servedDestinationTypes: ['webhook', 'salesforce', 'hubspot', 'postgres'],
} as const;

/** A rule set whose fallback sends every lead, with a fixed owner, to `inbox`. */
const rulesWith = (destinations: string) => `id: t
version: "1"
destinations:
  inbox: { type: webhook, url: "https://hooks.example.com/in" }
${destinations}
fallback:
  owner: "005"
  destinations: [inbox]
`;

function destination(destinations: string, name: string): RuleSetDestination {
  const parsed = parseRuleSet(rulesWith(destinations), SERVED);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error, null, 2));
  const found = parsed.value.destinations[name];
  if (found === undefined) assert.fail(`no destination ${name}`);
  return found;
}

function issuesOf(yamlText: string, options: RuleSetValidationOptions = SERVED): RuleSetIssue[] {
  const result = parseRuleSet(yamlText, options);
  if (result.ok) assert.fail('expected the rule set to be refused');
  return result.error;
}

/** 1-based line and column of `token` on the first line holding `marker`. */
function at(text: string, marker: string, token: string): { line: number; column: number } {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.includes(marker));
  assert.ok(index >= 0, `no line with ${marker}`);
  const column = lines[index]!.indexOf(token, lines[index]!.indexOf(marker));
  assert.ok(column >= 0, `no ${token} after ${marker}`);
  return { line: index + 1, column: column + 1 };
}

/** The one issue refusing `destinations`, which must be reported at `token` on `marker`'s line. */
function refusal(destinations: string, marker: string, token: string): RuleSetIssue {
  const text = rulesWith(destinations);
  const issues = issuesOf(text);
  assert.equal(issues.length, 1, JSON.stringify(issues, null, 2));
  const issue = issues[0]!;
  assert.deepEqual({ line: issue.line, column: issue.column }, at(text, marker, token));
  return issue;
}

const COMMON_DEFAULTS = {
  retry: { delays: [...DEFAULT_RETRY_DELAYS] },
  breaker: { failures: 5, half_open_after: '30s', fallback_after: '5m' },
};

describe('destinations: webhook', () => {
  it('takes url, secret, timeout, allow_private and every common key', () => {
    const sut = destination(
      `  hook:
    type: webhook
    url: http://localhost:8090/inbox
    secret: { file: /run/secrets/hook }
    timeout: 5s
    allow_private: true
    fallback: inbox
    budget: { requests: 50, per_seconds: 1, concurrency: 4 }
    retry: { delays: [5s, 30s] }
    batch: { max_size: 1 }
    breaker: { failures: 3, half_open_after: 10s, fallback_after: 1m }`,
      'hook',
    );
    assert.deepEqual(sut, {
      type: 'webhook',
      url: 'http://localhost:8090/inbox',
      secret: { file: '/run/secrets/hook' },
      timeout: '5s',
      allow_private: true,
      fallback: 'inbox',
      budget: { requests: 50, per_seconds: 1, concurrency: 4 },
      retry: { delays: ['5s', '30s'] },
      batch: { max_size: 1 },
      breaker: { failures: 3, half_open_after: '10s', fallback_after: '1m' },
    });
  });

  it('needs only a url: the secret from WEBHOOK_SECRET, no private addresses, no budget', () => {
    assert.deepEqual(destination('', 'inbox'), {
      type: 'webhook',
      url: 'https://hooks.example.com/in',
      secret: { env: 'WEBHOOK_SECRET' },
      allow_private: false,
      batch: { max_size: 1 },
      ...COMMON_DEFAULTS,
    });
  });

  it('refuses a webhook without a url, at the destination', () => {
    const issue = refusal('  hook: { type: webhook }', 'hook:', '{');
    assert.deepEqual(
      { path: issue.path, message: issue.message },
      { path: 'destinations.hook.url', message: 'a webhook destination needs a url' },
    );
  });

  it('refuses a batch of more than one lead', () => {
    const issue = refusal(
      '  hook: { type: webhook, url: "https://h.example.com", batch: { max_size: 2 } }',
      'hook:',
      '2 }',
    );
    assert.equal(issue.path, 'destinations.hook.batch.max_size');
    assert.match(issue.message, /at most 1: a webhook destination posts one lead per request/);
  });
});

describe('destinations: salesforce', () => {
  it('takes the client-credentials flow, the URLs, the sObject, the external id and a mapping', () => {
    const sut = destination(
      `  crm:
    type: salesforce
    login_url: https://acme--uat.sandbox.my.salesforce.com
    instance_url: http://127.0.0.1:4010
    auth: { flow: client_credentials, client_id: { env: SF_ID }, client_secret: { file: /run/secrets/sf } }
    api_version: "60.0"
    sobject: Contact
    external_id_field: Router_Id__c
    mapping: { LastName: lead.last_name, UTM_Source__c: lead.attributes.utm_source, LeadSource: { value: Web } }
    budget: { requests: 150000, per_seconds: 86400 }
    batch: { max_size: 200 }`,
      'crm',
    );
    assert.deepEqual(sut, {
      type: 'salesforce',
      login_url: 'https://acme--uat.sandbox.my.salesforce.com',
      instance_url: 'http://127.0.0.1:4010',
      auth: {
        flow: 'client_credentials',
        client_id: { env: 'SF_ID' },
        client_secret: { file: '/run/secrets/sf' },
      },
      api_version: '60.0',
      sobject: 'Contact',
      external_id_field: 'Router_Id__c',
      mapping: {
        LastName: 'lead.last_name',
        UTM_Source__c: 'lead.attributes.utm_source',
        LeadSource: { value: 'Web' },
      },
      // The override keeps the vendor's concurrency limit it does not name.
      budget: { requests: 150_000, per_seconds: 86_400, concurrency: 25 },
      batch: { max_size: 200 },
      ...COMMON_DEFAULTS,
    });
  });

  it('takes the JWT bearer flow', () => {
    const sut = destination(
      `  crm:
    type: salesforce
    auth: { flow: jwt_bearer, client_id: { env: SF_ID }, username: integration@acme.com, private_key: { file: /run/secrets/sf.pem } }`,
      'crm',
    );
    assert.deepEqual(sut.type === 'salesforce' && sut.auth, {
      flow: 'jwt_bearer',
      client_id: { env: 'SF_ID' },
      username: 'integration@acme.com',
      private_key: { file: '/run/secrets/sf.pem' },
    });
  });

  it('needs only its type: login.salesforce.com, client credentials from the environment, Lead, the vendor budget', () => {
    const sut = destination('  crm: { type: salesforce }', 'crm');
    if (sut.type !== 'salesforce') assert.fail('expected a salesforce destination');
    assert.equal(sut.login_url, 'https://login.salesforce.com');
    assert.equal(sut.instance_url, undefined);
    assert.deepEqual(sut.auth, {
      flow: 'client_credentials',
      client_id: { env: 'SALESFORCE_CLIENT_ID' },
      client_secret: { env: 'SALESFORCE_CLIENT_SECRET' },
    });
    assert.deepEqual(sut.budget, VENDOR_BUDGETS.salesforce);
    assert.deepEqual(sut.batch, { max_size: 200 });
    // libs/crm's mapping schema takes what the destination holds, its defaults included.
    assert.deepEqual(
      salesforceMapping(sut),
      salesforceMappingSchema.parse({ sobject: 'Lead', external_id_field: 'Lead_Router_Id__c' }),
    );
  });

  it('refuses a mapping that fills OwnerId, with libs/crm’s message, at the field', () => {
    const issue = refusal(
      '  crm: { type: salesforce, mapping: { OwnerId: lead.email } }',
      'crm:',
      'lead.email',
    );
    assert.equal(issue.path, 'destinations.crm.mapping.OwnerId');
    assert.match(issue.message, /OwnerId is filled by the sink/);
  });

  it('refuses an API version before v46.0', () => {
    const issue = refusal('  crm: { type: salesforce, api_version: "45.0" }', 'crm:', '"45.0"');
    assert.equal(issue.path, 'destinations.crm.api_version');
    assert.match(issue.message, /v46\.0/);
  });

  it('refuses a batch over 200 records', () => {
    const issue = refusal('  crm: { type: salesforce, batch: { max_size: 201 } }', 'crm:', '201');
    assert.match(issue.message, /at most 200: sObject Collections/);
  });

  it('refuses an unknown auth flow and a literal client secret', () => {
    const flow = refusal(
      '  crm: { type: salesforce, auth: { flow: password, client_id: { env: A } } }',
      'crm:',
      'password',
    );
    assert.deepEqual(
      { path: flow.path, message: flow.message },
      {
        path: 'destinations.crm.auth.flow',
        message: 'expected flow: client_credentials or jwt_bearer',
      },
    );
    const literal = refusal(
      '  crm: { type: salesforce, auth: { flow: client_credentials, client_id: { env: A }, client_secret: "s3cr3t" } }',
      'crm:',
      '"s3cr3t"',
    );
    assert.deepEqual(
      { path: literal.path, message: literal.message },
      { path: 'destinations.crm.auth.client_secret', message: LITERAL_CREDENTIAL_MESSAGE },
    );
  });
});

describe('destinations: hubspot', () => {
  it('takes base_url, token, id_property, account_time_zone and a mapping', () => {
    const sut = destination(
      `  hub:
    type: hubspot
    base_url: http://127.0.0.1:4020
    token: { env: HUBSPOT_PROD_TOKEN }
    id_property: lead_router_id
    account_time_zone: America/New_York
    mapping: { lead_router_id: lead.lead_id, email: lead.email, utm_source: lead.attributes.utm_source }
    budget: { requests: 190, per_seconds: 10, daily: 625000 }`,
      'hub',
    );
    assert.deepEqual(sut, {
      type: 'hubspot',
      base_url: 'http://127.0.0.1:4020',
      token: { env: 'HUBSPOT_PROD_TOKEN' },
      id_property: 'lead_router_id',
      account_time_zone: 'America/New_York',
      mapping: {
        lead_router_id: 'lead.lead_id',
        email: 'lead.email',
        utm_source: 'lead.attributes.utm_source',
      },
      budget: { requests: 190, per_seconds: 10, daily: 625_000 },
      batch: { max_size: 100 },
      ...COMMON_DEFAULTS,
    });
  });

  it('needs only its type: api.hubapi.com, HUBSPOT_TOKEN, email, UTC and the Free/Starter budget', () => {
    const sut = destination('  hub: { type: hubspot }', 'hub');
    if (sut.type !== 'hubspot') assert.fail('expected a hubspot destination');
    assert.equal(sut.base_url, 'https://api.hubapi.com');
    assert.deepEqual(sut.token, { env: 'HUBSPOT_TOKEN' });
    assert.equal(sut.account_time_zone, 'UTC');
    assert.deepEqual(sut.budget, { requests: 100, per_seconds: 10, daily: 250_000 });
    assert.deepEqual(hubspotMapping(sut), hubspotMappingSchema.parse({}));
  });

  it('refuses a literal token, saying to use a reference', () => {
    const issue = refusal('  hub: { type: hubspot, token: pat-na1-0000 }', 'hub:', 'pat-na1');
    assert.deepEqual(
      { path: issue.path, message: issue.message },
      { path: 'destinations.hub.token', message: LITERAL_CREDENTIAL_MESSAGE },
    );
    assert.doesNotMatch(issue.message, /pat-na1/);
  });

  it('refuses an id property the mapping does not fill, at the mapping', () => {
    const issue = refusal(
      '  hub: { type: hubspot, id_property: lead_router_id, mapping: { email: lead.email } }',
      'hub:',
      '{ email',
    );
    assert.equal(issue.path, 'destinations.hub.mapping');
    assert.match(issue.message, /id property lead_router_id must be mapped/);
  });

  it('refuses an unknown time zone, a batch over 100 and a base URL that is not http(s)', () => {
    const zone = refusal(
      '  hub: { type: hubspot, account_time_zone: Mars/Olympus }',
      'hub:',
      'Mars',
    );
    assert.match(zone.message, /IANA time zone/);
    const batch = refusal('  hub: { type: hubspot, batch: { max_size: 101 } }', 'hub:', '101');
    assert.match(batch.message, /at most 100: HubSpot batch upsert/);
    const url = refusal('  hub: { type: hubspot, base_url: "ftp://hubapi.com" }', 'hub:', '"ftp');
    assert.equal(url.path, 'destinations.hub.base_url');
  });
});

describe('destinations: postgres', () => {
  it('takes a schema and a table', () => {
    assert.deepEqual(
      destination(
        '  warehouse: { type: postgres, schema: analytics, table: leads_eu }',
        'warehouse',
      ),
      {
        type: 'postgres',
        schema: 'analytics',
        table: 'leads_eu',
        batch: { max_size: 1000 },
        ...COMMON_DEFAULTS,
      },
    );
  });

  it('refuses a name that is not a plain lower-case SQL identifier', () => {
    const issue = refusal(
      '  warehouse: { type: postgres, table: "leads; drop table x" }',
      'warehouse:',
      '"leads;',
    );
    assert.equal(issue.path, 'destinations.warehouse.table');
    assert.match(issue.message, /lower-case SQL identifier/);
    const upper = refusal(
      '  warehouse: { type: postgres, schema: Analytics }',
      'warehouse:',
      'Analytics',
    );
    assert.equal(upper.path, 'destinations.warehouse.schema');
  });

  it('refuses a table name that leaves no room for its migrations tables', () => {
    const issue = refusal(
      `  warehouse: { type: postgres, table: ${'t'.repeat(48)} }`,
      'warehouse:',
      'ttt',
    );
    assert.match(issue.message, /at most 47 characters/);
  });
});

describe('destinations: credential references and common keys', () => {
  it('refuses a literal webhook secret with the advice to use a reference, never echoing it', () => {
    const issue = refusal(
      '  hook: { type: webhook, url: "https://h.example.com", secret: whsec_abc }',
      'hook:',
      'whsec_abc',
    );
    assert.deepEqual(
      { path: issue.path, message: issue.message },
      { path: 'destinations.hook.secret', message: LITERAL_CREDENTIAL_MESSAGE },
    );
  });

  it('refuses a reference that names a bad variable, a relative file or another store', () => {
    const env = refusal(
      '  hub: { type: hubspot, token: { env: "my-token" } }',
      'hub:',
      '"my-token"',
    );
    assert.equal(env.path, 'destinations.hub.token.env');
    assert.match(env.message, /environment variable name/);
    const file = refusal(
      '  hub: { type: hubspot, token: { file: secrets/token } }',
      'hub:',
      'secrets/',
    );
    assert.equal(file.path, 'destinations.hub.token.file');
    assert.match(file.message, /absolute path/);
    const vault = refusal('  hub: { type: hubspot, token: { vault: kv/hub } }', 'hub:', '{ vault');
    assert.equal(
      vault.message,
      'expected a credential reference: { env: VARIABLE } or { file: /path/to/file }',
    );
  });

  it('refuses an unknown type', () => {
    const issue = refusal('  x: { type: marketo }', '  x: {', 'marketo');
    assert.deepEqual(
      { path: issue.path, message: issue.message },
      {
        path: 'destinations.x.type',
        message: 'expected a destination type: webhook, salesforce, hubspot or postgres',
      },
    );
  });

  it('refuses retry delays that are not durations and a budget without its window', () => {
    const delays = refusal(
      '  hub: { type: hubspot, retry: { delays: [10s, soon] } }',
      'hub:',
      'soon',
    );
    assert.equal(delays.path, 'destinations.hub.retry.delays[1]');
    const budget = refusal(
      '  hub: { type: hubspot, budget: { requests: 10 } }',
      'hub:',
      '{ requests',
    );
    assert.equal(budget.path, 'destinations.hub.budget.per_seconds');
  });
});

describe('destinations: fallback', () => {
  it('refuses a fallback that is not defined', () => {
    const issue = refusal('  hub: { type: hubspot, fallback: nowhere }', 'hub:', 'nowhere');
    assert.equal(issue.message, 'destination "nowhere" is not defined under destinations');
  });

  it('refuses a destination that falls back to itself', () => {
    const issue = refusal('  hub: { type: hubspot, fallback: hub }', 'hub:', 'hub }');
    assert.equal(issue.message, 'destination "hub" cannot fall back to itself');
  });

  it('refuses destinations that fall back to each other, once per cycle', () => {
    const issue = refusal(
      `  a: { type: hubspot, fallback: b }
  b: { type: salesforce, fallback: c }
  c: { type: webhook, url: "https://c.example.com", fallback: a }`,
      'a: {',
      'b }',
    );
    assert.equal(
      issue.message,
      'destinations fall back to each other in a cycle: a -> b -> c -> a; end the chain with a destination that has no fallback',
    );
  });

  it('refuses a fallback of a type no sink serves, at the fallback and at its type', () => {
    const text = rulesWith(`  hub: { type: hubspot, fallback: crm }
  crm: { type: salesforce }`);
    const issues = issuesOf(text, { servedDestinationTypes: ['webhook', 'hubspot'] });
    assert.deepEqual(issues, [
      {
        path: 'destinations.hub.fallback',
        message:
          'fallback "crm" is of type salesforce, which no sink serves (served: webhook, hubspot); leads of "hub" would be lost when it is down',
        ...at(text, 'hub:', 'crm'),
      },
      {
        path: 'destinations.crm.type',
        message:
          'destination "crm" is of type salesforce, which no sink serves (served: webhook, hubspot); destination "hub" falling back routes leads to it, which would be lost; route them to a served destination',
        ...at(text, 'crm:', 'salesforce'),
      },
    ]);
  });

  it('wants every member of a queue an owner for the destinations its destinations fall back to', () => {
    const text = `id: t
version: "1"
destinations:
  hub: { type: hubspot, fallback: inbox }
  inbox: { type: webhook, url: "https://hooks.example.com/in" }
queues:
  q:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { hub: "1", inbox: "a" } }
      - { id: bob, owners: { hub: "2" } }
fallback:
  queue: q
  destinations: [hub]
`;
    assert.deepEqual(issuesOf(text), [
      {
        path: 'queues.q.members[1].owners',
        message:
          'member "bob" has no owner for destination "inbox", the fallback of "hub", which the fallback sends queue "q" to',
        ...at(text, 'id: bob', '{ hub'),
      },
    ]);
  });
});

describe('rule sets valid before destinations had keys', () => {
  const repo = join(__dirname, '..', '..', '..');
  for (const file of ['deploy/local/rules/demo.yaml', 'deploy/docker/rules.yaml']) {
    it(`still validates ${file}, as the served sinks see it`, () => {
      const result = parseRuleSet(readFileSync(join(repo, file), 'utf8'), {
        servedDestinationTypes: ['webhook', 'salesforce', 'hubspot', 'postgres'],
      });
      assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
    });
  }

  it('still validates the routing fixtures, bare salesforce destinations included', () => {
    const result = parseRuleSet(DEFAULT_RULES);
    assert.ok(result.ok, JSON.stringify(!result.ok && result.error));
    assert.equal(
      queueRules(
        '  q:\n    method: round_robin\n    when_unavailable: { hold: true }\n    members: [{ id: a, owners: { crm: "1" } }]',
      ).id,
      't',
    );
  });

  it('still takes a url on a postgres destination, which is ignored', () => {
    const sut = destination('  pg: { type: postgres, url: "https://ignored.example.com" }', 'pg');
    assert.equal(sut.type, 'postgres');
  });
});

describe('ruleSetJsonSchema destinations', () => {
  it('offers one branch per type, each naming its type', () => {
    const destinations = ruleSetJsonSchema.properties?.['destinations'] as {
      additionalProperties: { oneOf: { properties: { type: { const: string } } }[] };
    };
    assert.deepEqual(
      destinations.additionalProperties.oneOf.map((b) => b.properties.type.const),
      ['webhook', 'salesforce', 'hubspot', 'postgres'],
    );
  });
});
