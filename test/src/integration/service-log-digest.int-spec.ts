import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serviceLogDigest } from '@lead-router/testing';

/** The part of a failure message that says what each service of a test's pipeline complained of. */
describe('serviceLogDigest: what the services logged at warn and above', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-digest-'));
  const line = (level: string, time: string, msg: string, extra: object = {}) =>
    JSON.stringify({ level, time, service: 'router', msg, ...extra });

  it('counts the warn/error lines, names the last line time and the latest distinct messages', () => {
    const logFile = join(dir, 'router.log');
    writeFileSync(
      logFile,
      [
        line('info', '2026-12-04T10:00:00.000Z', 'joined the group'),
        line('error', '2026-12-04T10:00:01.000Z', 'consumer crashed', {
          err: { message: 'coordinator not available' },
        }),
        line('warn', '2026-12-04T10:00:02.000Z', 'fencing failed'),
        'not json: a stack trace line',
        line('error', '2026-12-04T10:00:03.000Z', 'consumer crashed', {
          err: { message: 'coordinator not available' },
        }),
        line('debug', '2026-12-04T10:00:04.000Z', 'partition paused until its next record is due'),
        '',
      ].join('\n'),
    );
    const digest = serviceLogDigest([{ name: 'router', logFile }]);
    assert.equal(
      digest,
      'router: 3 warn/error lines, last line at 2026-12-04T10:00:04.000Z; latest: ' +
        'warn "fencing failed" ×1; error "consumer crashed" (coordinator not available) ×2',
    );
  });

  it('keeps only the latest distinct messages, and says when a log cannot be read', () => {
    const logFile = join(dir, 'sink.log');
    writeFileSync(
      logFile,
      ['a', 'b', 'c', 'd'].map((m, i) => line('warn', `2026-12-04T10:00:0${i}.000Z`, m)).join('\n'),
    );
    const digest = serviceLogDigest(
      [
        { name: 'sink-webhook', logFile },
        { name: 'ingest', logFile: join(dir, 'missing.log') },
      ],
      2,
    ).split('\n');
    assert.equal(
      digest[0],
      'sink-webhook: 4 warn/error lines, last line at 2026-12-04T10:00:03.000Z; latest: ' +
        'warn "c" ×1; warn "d" ×1',
    );
    assert.match(digest[1]!, /^ingest: log not read \(ENOENT/);
  });
});
