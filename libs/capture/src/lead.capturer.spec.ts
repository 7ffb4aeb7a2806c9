import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { version } from 'uuid';
import { leadIdFor } from './lead-id.generator';
import { type CaptureContext, captureBatch, captureLead } from './lead.capturer';

const ctx: CaptureContext = { source: 'web-form', now: 1_764_000_000_000, channel: 'http' };

function issuesOf<T, E>(result: { ok: true; value: T } | { ok: false; error: E }): E {
  assert.equal(result.ok, false, 'expected a failure');
  return (result as { ok: false; error: E }).error;
}

function valueOf<T, E>(result: { ok: true; value: T } | { ok: false; error: E }): T {
  if (!result.ok) assert.fail(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

describe('captureLead', () => {
  const sut = captureLead;

  it('captures known fields, the context, and every other scalar as an attribute', () => {
    const lead = valueOf(
      sut(
        {
          email: 'Ada@Example.com ',
          phone: 4915112345678,
          first_name: 'Ada',
          company: 'Analytical Engines',
          utm_source: 'google',
          consent: true,
          score: 42,
          ignored: null,
        },
        ctx,
      ),
    );
    assert.equal(lead.email, 'Ada@Example.com ');
    assert.equal(lead.phone, '4915112345678');
    assert.equal(lead.first_name, 'Ada');
    assert.equal(lead.last_name, null);
    assert.equal(lead.company, 'Analytical Engines');
    assert.equal(lead.source, 'web-form');
    assert.equal(lead.channel, 'http');
    assert.equal(lead.received_at, ctx.now);
    assert.equal(lead.source_lead_id, null);
    assert.deepEqual(lead.attributes, { utm_source: 'google', consent: 'true', score: '42' });
    assert.equal(version(lead.lead_id), 4);
  });

  it('derives the id from source_lead_id so a resubmission keeps it', () => {
    const first = valueOf(sut({ email: 'a@b.co', source_lead_id: 'L-1' }, ctx));
    const again = valueOf(sut({ email: 'a@b.co', source_lead_id: 'L-1' }, { ...ctx, now: 5 }));
    assert.equal(first.lead_id, leadIdFor('web-form', 'L-1'));
    assert.equal(again.lead_id, first.lead_id);
    assert.equal(first.source_lead_id, 'L-1');
  });

  it('refuses a source_lead_id holding a lone UTF-16 surrogate, naming the field', () => {
    assert.deepEqual(issuesOf(sut({ email: 'a@b.co', source_lead_id: 'L-\udc00' }, ctx)), [
      {
        field: 'source_lead_id',
        code: 'invalid_unicode',
        message:
          'source_lead_id: expected well-formed Unicode; it holds a lone UTF-16 surrogate (half of a character such as an emoji)',
      },
    ]);
  });

  it('prefers the Idempotency-Key over source_lead_id', () => {
    const lead = valueOf(
      sut({ email: 'a@b.co', source_lead_id: 'L-1' }, { ...ctx, idempotencyKey: 'req-9' }),
    );
    assert.equal(lead.lead_id, leadIdFor('web-form', 'req-9'));
  });

  it('accepts a phone without an email', () => {
    assert.equal(valueOf(sut({ phone: '+44 20 7946 0958' }, ctx)).phone, '+44 20 7946 0958');
  });

  it('rejects a lead with no usable contact', () => {
    assert.deepEqual(issuesOf(sut({ email: '  ', first_name: 'Ada' }, ctx)), [
      {
        field: 'body',
        code: 'missing_contact',
        message: 'body: expected an email or a phone, and neither was given',
      },
    ]);
  });

  it('rejects a body that is not an object', () => {
    for (const body of [null, 'x', [1], 3]) {
      assert.deepEqual(issuesOf(sut(body, ctx)), [
        { field: 'body', code: 'invalid_type', message: 'body: expected a JSON object' },
      ]);
    }
  });

  it('reports every field issue at once, without the submitted values', () => {
    const issues = issuesOf(
      sut(
        {
          email: 'x'.repeat(321),
          phone: true,
          website: 7,
          tags: ['a'],
          meta: { a: 1 },
          note: 'n'.repeat(2001),
        },
        ctx,
      ),
    );
    assert.deepEqual(issues, [
      {
        field: 'email',
        code: 'too_long',
        message: 'email: expected a string of at most 320 characters',
      },
      {
        field: 'phone',
        code: 'invalid_type',
        message: 'phone: expected a string or number of at most 64 characters',
      },
      {
        field: 'website',
        code: 'invalid_type',
        message: 'website: expected a string of at most 2048 characters',
      },
      {
        field: 'tags',
        code: 'unsupported_type',
        message: 'tags: expected a string, number or boolean, got an array',
      },
      {
        field: 'meta',
        code: 'unsupported_type',
        message: 'meta: expected a string, number or boolean, got an object',
      },
      {
        field: 'note',
        code: 'too_long',
        message: 'note: expected a value of at most 2000 characters',
      },
    ]);
  });

  it('limits the number and the name length of extra fields', () => {
    const body: Record<string, unknown> = { email: 'a@b.co' };
    for (let i = 0; i < 101; i++) body[`f${i}`] = i;
    body['k'.repeat(101)] = 'v';
    const issues = issuesOf(sut(body, ctx));
    assert.deepEqual(
      issues.map((i) => [i.field, i.code]),
      [
        [`${'k'.repeat(40)}…`, 'key_too_long'],
        ['attributes', 'too_many_fields'],
      ],
    );
    assert.equal(issues[1]?.message, 'attributes: expected at most 100 extra fields, got 102');
  });

  it('keeps a __proto__ field as an ordinary attribute', () => {
    const lead = valueOf(sut(JSON.parse('{"email":"a@b.co","__proto__":"x"}'), ctx));
    assert.equal(Object.getPrototypeOf(lead.attributes), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(lead.attributes, '__proto__')?.value, 'x');
  });
});

describe('captureBatch', () => {
  const sut = captureBatch;

  it('accepts { leads: [...] } and a bare array alike', () => {
    const wrapped = valueOf(
      sut({ leads: [{ email: 'a@b.co' }, { phone: '+1 202 555 0100' }] }, ctx),
    );
    const bare = valueOf(sut([{ email: 'a@b.co' }], ctx));
    assert.equal(wrapped.length, 2);
    assert.equal(wrapped[1]?.phone, '+1 202 555 0100');
    assert.equal(bare.length, 1);
  });

  it('gives item i the key `${key}:${i}`', () => {
    const leads = valueOf(
      sut([{ email: 'a@b.co' }, { email: 'c@d.co' }], { ...ctx, idempotencyKey: 'batch-7' }),
    );
    assert.deepEqual(
      leads.map((l) => l.lead_id),
      [leadIdFor('web-form', 'batch-7:0'), leadIdFor('web-form', 'batch-7:1')],
    );
  });

  it('reports item issues with indexed paths', () => {
    const issues = issuesOf(sut({ leads: [{ email: 'a@b.co' }, { email: 5 }, 'x'] }, ctx));
    assert.deepEqual(
      issues.map((i) => i.message),
      [
        'leads[1].email: expected a string of at most 320 characters',
        'leads[1]: expected an email or a phone, and neither was given',
        'leads[2]: expected a JSON object',
      ],
    );
  });

  it('rejects an empty, oversized or shapeless batch', () => {
    assert.equal(issuesOf(sut([], ctx))[0]?.code, 'empty_batch');
    const big = Array.from({ length: 501 }, () => ({ email: 'a@b.co' }));
    assert.deepEqual(issuesOf(sut({ leads: big }, ctx)), [
      {
        field: 'leads',
        code: 'too_many_items',
        message: 'leads: expected 1 to 500 leads, got 501',
      },
    ]);
    assert.equal(issuesOf(sut({ email: 'a@b.co' }, ctx))[0]?.code, 'invalid_type');
  });
});
