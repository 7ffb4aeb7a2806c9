import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import pino from 'pino';
import { redactPaths } from './logger';

describe('log redaction', () => {
  it('never writes an email or phone, at any depth the pipeline logs', () => {
    const lines: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const sut = pino({ redact: { paths: redactPaths, censor: '[redacted]' } }, out);
    sut.info({ email: 'a@b.co', lead: { phone: '+4915112345678', lead_id: 'L1' } }, 'x');
    sut.info({ err: { lead: { email: 'c@d.co' } } }, 'y');
    const text = lines.join('');
    assert.doesNotMatch(text, /a@b\.co|4915112345678|c@d\.co/);
    assert.match(text, /"lead_id":"L1"/);
  });

  it('logs an error with its code and context, and no contact details in that context', () => {
    const lines: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const sut = pino({ redact: { paths: redactPaths, censor: '[redacted]' } }, out);
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
});
