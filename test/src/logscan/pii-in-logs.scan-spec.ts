/**
 * No personal data in any service's log (issue 14, docs/security.md): run by `npm test` after the
 * end-to-end and fault suites, which started every service as a process logging to
 * LEAD_ROUTER_SERVICE_LOG_DIR. The persons are every test lead the suites wrote to any
 * `leads.raw` topic of the broker they used; besides their emails, phones and names, any email
 * address at all in a log line is a finding.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SERVICE_LOG_DIR_ENV } from '@lead-router/local-stack';
import { AvroCodec, createKafka, readRanges, wholeTopicRanges } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { findingsIn, logFilesUnder, piiIndexOf, scanLogs, type Person } from './pii.scanner';

const env = (name: string): string => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (npm test sets it; see test/run-all.sh)`);
  return value;
};

async function testLeadPersons(): Promise<Person[]> {
  const kafka = createKafka({
    brokers: env('KAFKA_BROKERS').split(','),
    clientId: 'pii-log-scan',
    logger: createLogger('pii-log-scan', 'silent'),
  });
  const codec = AvroCodec.connect(env('SCHEMA_REGISTRY_URL'));
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.endsWith('leads.raw'));
  await admin.disconnect();
  const persons: Person[] = [];
  for (const topic of topics) {
    const records = await readRanges(kafka, topic, await wholeTopicRanges(kafka, topic), 'scan.');
    for (const { message } of records) {
      try {
        const lead = await codec.decode<RawLead>(message.value, 'RawLead');
        persons.push({
          email: lead.email,
          phone: lead.phone,
          firstName: lead.first_name,
          lastName: lead.last_name,
        });
      } catch {
        // Bytes a fuzz test wrote on purpose: no person to look for.
      }
    }
  }
  return persons;
}

describe('service logs after the whole suite', () => {
  test('the scan finds an email, a phone and a name when a line holds them', () => {
    const index = piiIndexOf([
      {
        email: 'Ada.Lovelace@example.org',
        phone: '+44 20 7946 0958',
        firstName: 'Ada',
        lastName: 'Lovelace',
      },
    ]);
    const line = (msg: string) => JSON.stringify({ level: 30, leadId: 'l-1', msg });
    assert.deepEqual(findingsIn(line('delivered to the inbox'), index), []);
    assert.deepEqual(
      findingsIn(line('rejected someone@elsewhere.io'), index).map((f) => f.kind),
      ['email'],
    );
    assert.deepEqual(
      findingsIn(line('phone 020 7946 0958 invalid'), index).map((f) => f.kind),
      ['phone'],
    );
    assert.deepEqual(
      findingsIn(line('owner for ada lovelace'), index).map((f) => f.kind),
      ['name'],
    );
    assert.deepEqual(
      findingsIn(line('Lovelace'), index).map((f) => f.kind),
      ['name'],
    );
  });

  test("no service log holds a test lead's email, phone or name, or any email address", async (t) => {
    const dir = env(SERVICE_LOG_DIR_ENV);
    const files = logFilesUnder(dir);
    const persons = await testLeadPersons();
    const index = piiIndexOf(persons);
    const { findings, lines, bytes } = await scanLogs(files, index);
    const services = new Set(files.map((f) => /([a-z-]+)-\d+-\d+-\d+\.log$/.exec(f)?.[1]));
    t.diagnostic(
      `scanned ${files.length} log files of ${services.size} services (${lines} lines, ` +
        `${(bytes / 1e6).toFixed(1)} MB) for ${index.emails.size} emails, ${index.phones.size} ` +
        `phones and ${index.fullNames.size} names of ${persons.length} test leads: ` +
        `${findings.length} findings`,
    );
    // The scan means something only over the suites' logs and leads.
    assert.ok(files.length >= 20, `only ${files.length} service logs in ${dir}`);
    assert.ok(index.emails.size >= 100, `only ${index.emails.size} test lead emails`);
    const shown = findings
      .slice(0, 30)
      .map((f) => `  ${f.file}:${f.line} ${f.kind} ${f.masked}`)
      .join('\n');
    assert.equal(findings.length, 0, `personal data in service logs:\n${shown}`);
  });
});
