import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@lead-router/local-stack';
import { waitFor } from '@lead-router/testing';
import { postLead, startPipeline, type Pipeline } from './pipeline.fixture';

const leadctl = resolve(__dirname, '..', '..', '..', 'tools', 'leadctl', 'dist', 'main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built leadctl as a process, as a user runs it (stdout a pipe, so plain frames). */
function runLeadctl(args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [leadctl, ...args], { timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** The cells of the frame's row that starts with `cells` (columns are two or more spaces apart). */
function row(frame: string, ...cells: string[]): string[] {
  const line = frame
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/))
    .find((columns) => cells.every((cell, i) => columns[i] === cell));
  assert.ok(line, `no row ${cells.join(' ')} in:\n${frame}`);
  return line;
}

const positive = (cell: string | undefined, what: string) =>
  assert.ok(Number(cell?.replace(/,/g, '')) > 0, `${what}: ${cell} is not above 0`);

/** A duration as the frame writes it (`480 ms`, `1.66 s`), in seconds. */
const seconds = (cell: string | undefined): number => {
  const m = /^([\d.]+) (ms|s)$/.exec(cell ?? '');
  assert.ok(m, `${cell} is not a duration`);
  return Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
};

describe('leadctl top against running services', () => {
  const stages = ['ingest', 'normalizer', 'enricher', 'router', 'sink-webhook'] as const;
  let pipeline: Pipeline;
  let sending = true;
  let sender: Promise<number>;
  let downUrl: string;

  before(async () => {
    // A loaded host may take minutes to start five processes.
    pipeline = await startPipeline('top', { only: stages, healthTimeoutMs: 300_000 });
    // Nothing listens there: the service the frame must show as down.
    downUrl = `http://127.0.0.1:${await freePort()}`;
    // A steady flow for the whole test, one lead in ten without a contact (a dead letter).
    sender = (async () => {
      let sent = 0;
      while (sending) {
        const email = sent % 10 === 9 ? 'not-an-email' : `top${sent}@acme${sent % 7}.com`;
        await postLead(
          pipeline.ingestUrl,
          JSON.stringify({ email, country: 'DE', company: `Acme ${sent % 7}` }),
        ).catch(() => undefined);
        sent++;
        await new Promise((r) => setTimeout(r, 50));
      }
      return sent;
    })();
    await waitFor(() => pipeline.inbox.deliveries().length >= 20, {
      timeoutMs: 180_000,
      what: 'the first leads at the inbox',
    });
  });

  after(async () => {
    sending = false;
    await sender?.catch(() => 0);
    await pipeline?.close();
  });

  it('shows leads/s per stage, the lag, speed-to-lead p99 and dead letters, and a service down as DOWN', async () => {
    const targets = [
      ...stages.map((name) => `${name}=${pipeline.services.get(name)!.url}`),
      `sink-postgres=${downUrl}`,
    ].join(',');
    const run = await runLeadctl([
      '--prefix',
      pipeline.prefix,
      'top',
      '--once',
      '--interval',
      '6',
      '--targets',
      targets,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const frame = run.stdout;
    assert.ok(
      !frame.includes('\u001b['),
      'no terminal control codes when stdout is not a terminal',
    );
    assert.match(frame, /5 of 6 services up/);

    for (const [service, stage] of [
      ['ingest', 'ingest'],
      ['normalizer', 'normalizer'],
      ['enricher', 'enricher'],
      ['router', 'router'],
      ['sink-webhook', 'sink-webhook'],
    ] as const) {
      const cells = row(frame, service, 'up', stage);
      positive(cells[3], `${stage} leads/s`);
      if (service !== 'ingest') assert.match(cells[5]!, /^[\d,]+$/, `${stage} lag: ${cells[5]}`);
    }
    assert.deepEqual(row(frame, 'sink-postgres', 'DOWN').slice(0, 3), [
      'sink-postgres',
      'DOWN',
      'ECONNREFUSED',
    ]);

    // The lag by topic, the prefix taken off the topic's name.
    assert.match(row(frame, 'normalizer', 'normalizer', 'leads.raw')[3]!, /^[\d,]+$/);
    assert.match(row(frame, 'sink-webhook', 'sink-webhook', 'leads.routed')[3]!, /^[\d,]+$/);

    const speed = row(frame, 'web-form', 'demo-inbox');
    positive(speed[2], 'delivered/s');
    const [p50, p99] = [seconds(speed[3]), seconds(speed[4])];
    assert.ok(p50 > 0 && p50 <= p99, `p50 ${speed[3]}, p99 ${speed[4]}`);

    positive(row(frame, 'normalizer', 'normalizer', 'no_contact')[3], 'no_contact dead letters');
  });
});

describe('leadctl top with no service to read', () => {
  it('exits 1 when no service answers, after showing each as DOWN', async () => {
    const downUrl = `http://127.0.0.1:${await freePort()}`;
    const run = await runLeadctl(['top', '--once', '--interval', '0.5', '--targets', downUrl]);
    assert.equal(run.code, 1, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
    assert.match(run.stdout, /0 of 1 services up/, run.stderr);
    assert.match(run.stdout, new RegExp(`^${new URL(downUrl).host}\\s+DOWN\\s+ECONNREFUSED$`, 'm'));
    assert.match(run.stderr, /no service answered/);
  });
});
