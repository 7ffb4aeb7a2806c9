import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { decideRecord, type HandlerOutcome, type RecordOutcome } from './dead-letter.policy';
import { ATTEMPTS_HEADER } from './record.headers';
import type { RecordContext, StageOutput } from './stage.definition';

const NOW = 1_700_000_000_000;

const record: RecordContext = {
  topic: 'lr.leads.normalized',
  partition: 2,
  offset: '41',
  key: Buffer.from('lead-1'),
  value: Buffer.from([0, 0, 0, 0, 7, 1, 2]),
  headers: { [ATTEMPTS_HEADER]: '2' },
  attempts: 3,
};

const output: StageOutput = { topic: 'lr.deliveries', key: 'lead-1', value: { status: 'FAILED' } };

/** Decides with the record above; `asked` counts how often the lead id was asked for. */
function decide(outcome: HandlerOutcome, leadId: string | null = 'lead-from-input') {
  const asked = { count: 0 };
  const input: RecordOutcome = {
    stage: 'enricher',
    record,
    outcome,
    leadId: () => {
      asked.count++;
      return leadId;
    },
    now: NOW,
  };
  return { sut: decideRecord(input), asked };
}

const threw = (error: unknown): HandlerOutcome => ({ kind: 'threw', error });

describe('decideRecord', () => {
  it('produces the outputs of an ok result, without asking for the lead id', () => {
    const { sut, asked } = decide({ kind: 'returned', result: { kind: 'ok', outputs: [output] } });
    assert.deepEqual(sut, { kind: 'produce', outputs: [output] });
    assert.equal(asked.count, 0);
  });

  it('dead-letters a dead result with its code and message, keeping the record and its bytes', () => {
    const { sut } = decide({
      kind: 'returned',
      result: { kind: 'dead', code: 'no_contact', error: 'neither email nor phone' },
    });
    assert.deepEqual(sut, {
      kind: 'dead-letter',
      outputs: [],
      letter: {
        stage: 'enricher',
        topic: 'lr.leads.normalized',
        partition: 2,
        offset: '41',
        key: Buffer.from('lead-1'),
        value: Buffer.from([0, 0, 0, 0, 7, 1, 2]),
        headers: { [ATTEMPTS_HEADER]: '2' },
        lead_id: 'lead-from-input',
        error_code: 'no_contact',
        error: 'neither email nor phone',
        attempts: 3,
        failed_at: NOW,
      },
    });
  });

  it('keeps the outputs, attempts and lead id a dead result names', () => {
    const { sut, asked } = decide({
      kind: 'returned',
      result: {
        kind: 'dead',
        code: 'http_400',
        error: 'bad payload',
        attempts: 5,
        leadId: 'lead-named',
        outputs: [output],
      },
    });
    assert.equal(sut.kind, 'dead-letter');
    assert.deepEqual(sut.kind === 'dead-letter' && sut.outputs, [output]);
    assert.equal(sut.kind === 'dead-letter' && sut.letter.attempts, 5);
    assert.equal(sut.kind === 'dead-letter' && sut.letter.lead_id, 'lead-named');
    assert.equal(asked.count, 0);
  });

  it('dead-letters a non-retriable error with its code and message', () => {
    const error = new LeadRouterError('bad magic byte 0x7b', 'decode_failed', {
      context: { topic: record.topic, partition: 2, offset: '41' },
    });
    const { sut } = decide(threw(error), null);
    assert.equal(sut.kind, 'dead-letter');
    if (sut.kind !== 'dead-letter') return;
    assert.deepEqual(sut.outputs, []);
    assert.equal(sut.letter.error_code, 'decode_failed');
    assert.equal(sut.letter.error, 'bad magic byte 0x7b');
    assert.equal(sut.letter.attempts, 3);
    assert.equal(sut.letter.lead_id, null);
  });

  it('dead-letters any other thrown value as handler_failed', () => {
    const plain = decide(threw(new TypeError('x is undefined'))).sut;
    assert.equal(plain.kind === 'dead-letter' && plain.letter.error_code, 'handler_failed');
    assert.equal(plain.kind === 'dead-letter' && plain.letter.error, 'x is undefined');
    assert.equal(plain.kind === 'dead-letter' && plain.letter.lead_id, 'lead-from-input');
    const text = decide(threw('boom')).sut;
    assert.equal(text.kind === 'dead-letter' && text.letter.error_code, 'handler_failed');
    assert.equal(text.kind === 'dead-letter' && text.letter.error, 'boom');
  });

  it('rethrows a retriable error, ours or kafkajs’, so the offset stays uncommitted', () => {
    const ours = new LeadRouterError('registry unavailable', 'registry_unavailable', {
      retriable: true,
    });
    const kafkajs = Object.assign(new Error('NOT_LEADER_FOR_PARTITION'), { retriable: true });
    for (const error of [ours, kafkajs]) {
      const { sut, asked } = decide(threw(error));
      assert.deepEqual(sut, { kind: 'retry', error });
      assert.equal(sut.kind === 'retry' && sut.error, error);
      assert.equal(asked.count, 0);
    }
  });
});
