/**
 * The HTTP half of ingest's physical limit (issue 15): a bare `node:http` server that does for a
 * lead only what no ingest can skip, and nothing else. It reads the body, parses it as JSON and
 * answers 202 with the lead's id, as `POST /v1/leads` does; no auth, validation, Avro or Kafka.
 * `ingest.bench` and `npm run bench` load it with the same autocannon settings and bodies as
 * ingest, in the same run, so single-lead ingest reads as a share of what HTTP alone allows here.
 *
 *   node bench/dist/http-floor.main.js <port>      # prints "http-floor listening" when ready
 */
import * as http from 'node:http';

const port = Number(process.argv[2] ?? 0);

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(req.url === '/health' ? 200 : 404).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let lead: unknown;
    try {
      lead = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_json"}');
      return;
    }
    const id = (lead as { source_lead_id?: unknown } | null)?.source_lead_id;
    const body = JSON.stringify({ lead_id: typeof id === 'string' ? id : '' });
    res.writeHead(202, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('http-floor listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
