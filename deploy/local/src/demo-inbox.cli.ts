/**
 * Demo webhook inbox: `node demo-inbox.cli.js` (port from INBOX_PORT, default 8090; host from INBOX_HOST, default 127.0.0.1).
 * POST anything to any path; GET /deliveries[?since=N]; DELETE /deliveries; GET /health.
 */
import { startDemoInbox } from './demo-inbox';
import { StackError } from './stack.errors';

async function main(): Promise<void> {
  const port = Number(process.env['INBOX_PORT'] ?? '8090');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new StackError(`bad INBOX_PORT ${process.env['INBOX_PORT'] ?? ''}`, 'bad_config');
  const inbox = await startDemoInbox({ port, host: process.env['INBOX_HOST'] ?? '127.0.0.1' });
  process.stdout.write(
    `demo inbox listening on ${inbox.url} (POST any path; GET ${inbox.url}/deliveries)\n`,
  );
  const shutdown = (): void => {
    void inbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
