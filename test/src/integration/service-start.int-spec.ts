import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StackError, freePort, startService } from '@lead-router/local-stack';

/**
 * The failure that had one e2e fixture's enricher die with EADDRINUSE while another service,
 * given the same port, answered its health check: a start whose health check another process
 * answers fails at once, naming the port, instead of the test timing out later.
 */
describe('startService: a health check answered by another process', () => {
  it('fails the start with port_in_use, naming the port', async () => {
    const impostor = createServer((_req, res) => res.writeHead(200).end('{"status":"ok"}'));
    const port = await freePort();
    impostor.listen(port, '127.0.0.1');
    await once(impostor, 'listening');
    let answered = 0;
    impostor.on('request', () => answered++);
    try {
      await assert.rejects(
        startService(
          'normalizer',
          { PORT: String(port), HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
          { port, logDir: mkdtempSync(join(tmpdir(), 'service-start-')), healthTimeoutMs: 20_000 },
        ),
        (err: unknown) =>
          err instanceof StackError &&
          err.code === 'port_in_use' &&
          err.message.includes(`port ${port} was answered by another process`),
      );
      assert.ok(answered > 0, 'the impostor answered the health check');
    } finally {
      impostor.close();
    }
  });
});
