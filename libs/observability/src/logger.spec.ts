import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import pino from 'pino';
import { loggerOptions } from './logger';

/** A stream that keeps every line written to it. */
function capture(): { lines: string[]; out: Writable } {
  const lines: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, out };
}

describe('log redaction', () => {
  it('never writes an email or phone, at any depth the pipeline logs', () => {
    const { lines, out } = capture();
    const sut = pino(loggerOptions('test'), out);
    sut.info({ email: 'a@b.co', lead: { phone: '+4915112345678', lead_id: 'L1' } }, 'x');
    sut.info({ err: { lead: { email: 'c@d.co' } } }, 'y');
    const text = lines.join('');
    assert.doesNotMatch(text, /a@b\.co|4915112345678|c@d\.co/);
    assert.match(text, /"lead_id":"L1"/);
  });

  it('logs an error with its code and context, and no contact details in that context', () => {
    const { lines, out } = capture();
    const sut = pino(loggerOptions('test'), out);
    const err = new LeadRouterError('bytes do not decode', 'decode_failed', {
      context: {
        topic: 'leads.raw',
        partition: 1,
        offset: '7',
        leadId: 'L1',
        phone: '+4915112345678',
        lead: { email: 'a@b.co' },
      },
    });
    sut.warn({ err }, 'record sent to the DLQ');
    const logged = JSON.parse(lines.join('')) as { err: Record<string, unknown> };
    assert.equal(logged.err['code'], 'decode_failed');
    assert.equal(logged.err['retriable'], false);
    assert.deepEqual(logged.err['context'], {
      topic: 'leads.raw',
      partition: 1,
      offset: '7',
      leadId: 'L1',
      phone: '[redacted]',
      lead: { email: '[redacted]' },
    });
  });

  it('scrubs emails and international phones from messages, reasons and error messages', () => {
    const { lines, out } = capture();
    const sut = pino(loggerOptions('test'), out);
    sut.warn(
      { leadId: 'L1', reason: 'HubSpot: Email address Ada.L@example.org is invalid', n: 3 },
      'rejected +44 20 7946 0958 for ada@example.org',
    );
    sut.error({ err: new Error('duplicate value found: Email = bob@corp.example') }, 'upsert');
    sut.info({ offsets: ['1733090000000'], at: '2026-12-01T22:00:00.000+00:00' }, 'committed 42');
    const [warned, errored, info] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(warned!['reason'], 'HubSpot: Email address [email] is invalid');
    assert.equal(warned!['msg'], 'rejected [phone] for [email]');
    assert.equal(warned!['n'], 3);
    assert.equal(warned!['leadId'], 'L1');
    assert.equal(
      (errored!['err'] as { message: string }).message,
      'duplicate value found: Email = [email]',
    );
    assert.match((errored!['err'] as { stack: string }).stack, /Email = \[email\]/);
    assert.deepEqual(info!['offsets'], ['1733090000000']);
    assert.equal(info!['at'], '2026-12-01T22:00:00.000+00:00');
    assert.equal(info!['msg'], 'committed 42');
  });

  it('censors the CRM field names of a person', () => {
    const { lines, out } = capture();
    pino(loggerOptions('test'), out).info({ record: { FirstName: 'Ada', LastName: 'Lovelace' } });
    assert.doesNotMatch(lines.join(''), /Ada|Lovelace/);
  });
});
