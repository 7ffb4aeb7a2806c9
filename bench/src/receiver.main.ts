/**
 * The benchmark's webhook receiver, run as its own process so that its work does not share an
 * event loop with the load generator: answers every POST 200 at once and counts distinct
 * `webhook-id`s (a redelivery is counted once). `GET /stats` returns the counts.
 *
 *   node bench/dist/receiver.main.js <port>
 */
import * as http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const seen = new Set<string>();
let posts = 0;
let firstAt = 0;
let lastAt = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'DELETE') {
    seen.clear();
    posts = 0;
    firstAt = 0;
    lastAt = 0;
    res.end('{}');
    return;
  }
  if (req.method === 'POST') {
    req.resume();
    req.on('end', () => {
      posts++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string' && !seen.has(id)) {
        seen.add(id);
        lastAt = Date.now();
        if (firstAt === 0) firstAt = lastAt;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' });
      res.end('{"ok":true}');
    });
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
