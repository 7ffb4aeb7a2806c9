import * as http from 'node:http';
import * as https from 'node:https';
import type { AttemptResponse } from '@lead-router/delivery';

/**
 * Keep-alive agents shared by every delivery: one TCP (and TLS) connection per in-flight POST
 * to a destination, reused afterwards. node:http over a keep-alive Agent costs a third of the
 * CPU of `fetch` per request here (bench/RESULTS.md), and the sink is the pipeline's slowest stage.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/** One POST with a deadline; any failure to get a response is `status: null`, never a throw. */
export function postWebhook(
  request: { url: string; headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<AttemptResponse> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      resolve({ status: null, error: 'invalid url' });
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const body = Buffer.from(request.body);
    const req = client.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...request.headers, 'content-length': String(body.length) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          // Keep the start of an error body for the outcome; read (and drop) the rest.
          if (size < 200) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => {
          const status = res.statusCode ?? null;
          const ok = status !== null && status >= 200 && status < 300;
          const retryAfter = res.headers['retry-after'];
          resolve({
            status,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
            ...(ok ? {} : { error: Buffer.concat(chunks).toString('utf8').slice(0, 200) }),
          });
        });
        res.on('error', (err) => resolve({ status: null, error: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ status: null, error: err.code ?? err.message }),
    );
    req.end(body);
  });
}
