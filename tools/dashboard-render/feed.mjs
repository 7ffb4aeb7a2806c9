#!/usr/bin/env node
// Feeds a local pipeline leads for the dashboard screenshot, and answers the two webhooks of
// tools/dashboard-render/rules.yaml: /flaky answers 503 to each lead's first try and 200 after,
// /reject answers 400 to every lead.
//
//   node tools/dashboard-render/feed.mjs --ingest http://localhost:29610 --receiver-port 29623 \
//     --api-key lr_demo_key_web_form --minutes 6 --rate 4
/* global fetch */
import { createServer } from 'node:http';
import { setTimeout } from 'node:timers';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    ingest: { type: 'string' },
    'receiver-port': { type: 'string' },
    'api-key': { type: 'string', default: 'lr_demo_key_web_form' },
    minutes: { type: 'string', default: '6' },
    rate: { type: 'string', default: '4' },
  },
});
if (!values.ingest || !values['receiver-port']) {
  process.stderr.write(
    'usage: feed.mjs --ingest URL --receiver-port PORT [--minutes M --rate LEADS_PER_S]\n',
  );
  process.exit(2);
}

const seen = new Set();
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    const id = String(req.headers['webhook-id'] ?? '');
    let status = 200;
    if (path === '/reject') status = 400;
    else if (path === '/flaky' && !seen.has(id)) {
      seen.add(id);
      status = 503;
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: status === 200 }));
  });
});
await new Promise((resolve) =>
  receiver.listen(Number(values['receiver-port']), '127.0.0.1', resolve),
);

// Countries weighted as a campaign might bring them; GB goes to the flaky webhook, IE to the one
// that refuses, IT to one allowed a request every two seconds, MX to a desk of two leads a minute
// (held), the rest as the demo rules route them.
const COUNTRIES = [
  ...Array(6).fill('DE'),
  ...Array(4).fill('US'),
  ...Array(3).fill('FR'),
  'ES',
  'BR',
  'CA',
  ...Array(3).fill('AU'),
  'NZ',
  ...Array(3).fill('SG'),
  'IN',
  ...Array(2).fill('ZA'),
  'KE',
  ...Array(2).fill('GB'),
  'IE',
  ...Array(2).fill('IT'),
  'MX',
];
const SOURCES = ['web-form'];
let sent = 0;
let failed = 0;
const post = async (i) => {
  const country = COUNTRIES[Math.floor(Math.random() * COUNTRIES.length)];
  // One lead in 40 has no usable email or phone: the normalizer dead-letters it.
  const bad = Math.random() < 0.025;
  const free = Math.random() < 0.1;
  const lead = {
    email: bad ? 'not-an-email' : `lead${i}@${free ? 'gmail.com' : `acme${i % 50}.com`}`,
    first_name: `Person${i}`,
    last_name: `Lead ${i}`,
    company: `Acme ${i % 50}`,
    country,
    utm_source: SOURCES[i % SOURCES.length],
  };
  const res = await fetch(`${values.ingest}/v1/leads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${values['api-key']}`, 'content-type': 'application/json' },
    body: JSON.stringify(lead),
  }).catch(() => null);
  if (res?.status === 202) sent++;
  else failed++;
  await res?.arrayBuffer();
};

const end = Date.now() + Number(values.minutes) * 60_000;
const rate = Number(values.rate);
let i = 0;
while (Date.now() < end) {
  // A burst every minute, so the rates and lags have a shape.
  const burst = Math.floor((end - Date.now()) / 60_000) % 2 === 0 ? 3 : 1;
  const tick = Date.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.round(rate * burst)) }, () => post(i++)));
  await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
  if (i % 100 < rate * burst) process.stdout.write(`fed ${sent} leads (${failed} not accepted)\n`);
}
process.stdout.write(`fed ${sent} leads (${failed} not accepted); the receiver stays up\n`);
