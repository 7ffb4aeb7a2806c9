/**
 * The benchmark's webhook receiver, run as its own process so that its work does not share an
 * event loop with the load generator: answers every POST 200 at once, counts distinct
 * `webhook-id`s (a redelivery is counted once) and stamps each lead's first arrival by its
 * `source_lead_id` (epoch ms, sub-millisecond, taken when the request's headers are parsed, before
 * its body is read). `GET /stats` returns the counts, `GET /arrivals` every stamp as
 * `[source_lead_id, lead_id, epochMs][]`, `DELETE /stats` forgets everything.
 *
 *   node bench/dist/receiver.main.js <port>
 */
import * as http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const seen = new Set<string>();
/** source_lead_id → [lead_id, first arrival epoch ms] */
const arrivals = new Map<string, [string, number]>();
let posts = 0;
let firstAt = 0;
let lastAt = 0;

const now = (): number => performance.timeOrigin + performance.now();
// The body is the Standard Webhooks envelope of one lead; its ids are found without parsing the
// whole JSON (the receiver's CPU is part of what the bench reports).
const SOURCE_LEAD_ID = /"source_lead_id":"([^"]*)"/;
const LEAD_ID = /"lead_id":"([^"]*)"/;

const server = http.createServer((req, res) => {
  const at = now();
  if (req.method === 'DELETE') {
    seen.clear();
    arrivals.clear();
    posts = 0;
    firstAt = 0;
    lastAt = 0;
    res.end('{}');
    return;
  }
  if (req.method === 'POST') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string' && !seen.has(id)) {
        seen.add(id);
        lastAt = Math.round(at);
        if (firstAt === 0) firstAt = lastAt;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const sourceLeadId = SOURCE_LEAD_ID.exec(body)?.[1];
      if (sourceLeadId !== undefined && !arrivals.has(sourceLeadId))
        arrivals.set(sourceLeadId, [LEAD_ID.exec(body)?.[1] ?? '', at]);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
      res.end('{"ok":true}');
    });
    return;
  }
  if (req.url === '/arrivals') {
    const body = JSON.stringify([...arrivals].map(([sid, [leadId, t]]) => [sid, leadId, t]));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  if (req.url === '/stats' || req.url === '/health') {
    const body = JSON.stringify({ distinct: seen.size, posts, firstAt, lastAt });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => process.stdout.write('receiver listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
