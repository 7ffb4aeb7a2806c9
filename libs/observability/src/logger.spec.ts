import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
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
});
