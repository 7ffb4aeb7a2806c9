/**
 * The fake firmographics provider as its own process for enricher.bench, so its answers do not
 * share the measured event loop: `node firmographics-fake.main.js <apiKey> <slowMs>` prints
 * `URL=<url>` once it listens and runs until killed.
 */
import { startFakeFirmographics } from '@lead-router/crm-fakes';

async function main(): Promise<void> {
  const [apiKey = 'sk_bench', slowMs = '0'] = process.argv.slice(2);
  const fake = await startFakeFirmographics({ apiKeys: [apiKey] });
  fake.control.slow(Number(slowMs));
  process.stdout.write(`URL=${fake.url}\n`);
  process.on('SIGTERM', () => {
    void fake.close().then(() => process.exit(0));
  });
}

void main();
