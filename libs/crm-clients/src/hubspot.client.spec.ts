import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type HubSpotDestination, destinationSchema } from '@lead-router/routing';
import type { RoutedLead } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { HubSpotClient, type HubSpotTask } from './hubspot.client';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: { inputs: { id: string; properties: Record<string, string> }[] };
}

function lead(n: number, email = `lead${n}@example.com`): RoutedLead {
  return routedLeadFixture({
    lead: { lead_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, email },
    destinations: [
      destinationFixture({ id: 'hub', type: 'hubspot', url: null, owner_id: `owner-${n}` }),
    ],
  });
}

describe('HubSpotClient', () => {
  let server: Server;
  let baseUrl: string;
  let seen: Seen[] = [];
  let answer: (req: Seen, res: ServerResponse) => void;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        const s: Seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          authorization: req.headers.authorization,
          body: JSON.parse(text) as Seen['body'],
        };
        seen.push(s);
        answer(s, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen = [];
    answer = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'COMPLETE',
          results: req.body.inputs.map((input, i) => ({
            id: String(500 + i),
            properties: input.properties,
            new: true,
            objectWriteTraceId: (input as { objectWriteTraceId?: string }).objectWriteTraceId,
          })),
        }),
      );
    };
  });

  const tasks = (leads: RoutedLead[], env = 'HS_SPEC_TOKEN'): HubSpotTask[] => {
    const config = destinationSchema.parse({
      type: 'hubspot',
      base_url: baseUrl,
      token: { env },
    }) as HubSpotDestination;
    return leads.map((l) => ({ lead: l, destination: l.destinations[0]!, config }));
  };
  const client = (timeoutMs = 2_000) =>
    new HubSpotClient({
      requestTimeoutMs: timeoutMs,
      credentials: { env: { HS_SPEC_TOKEN: 'pat-spec\n' } },
    });

  it('posts one batch upsert under the base url with the referenced token and the owners', async () => {
    const sut = client();
    const verdicts = await sut.send(tasks([lead(1), lead(2)]), AbortSignal.timeout(5_000));
    await sut.close();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/hub/crm/v3/objects/contacts/batch/upsert');
    assert.equal(seen[0]!.authorization, 'Bearer pat-spec');
    assert.deepEqual(
      seen[0]!.body.inputs.map((i) => [i.id, i.properties['hubspot_owner_id']]),
      [
        ['lead1@example.com', 'owner-1'],
        ['lead2@example.com', 'owner-2'],
      ],
    );
    assert.deepEqual(
      verdicts.map((v) => v.verdict),
      [
        { kind: 'delivered', crmId: '500', created: true },
        { kind: 'delivered', crmId: '501', created: true },
      ],
    );
  });

  it('spends one request per call: a lead repeating an email waits for its next attempt', async () => {
    const sut = client();
    const twin = lead(3, 'lead1@example.com');
    const verdicts = await sut.send(tasks([lead(1), twin]), AbortSignal.timeout(5_000));
    await sut.close();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.body.inputs.length, 1);
    const byLead = new Map(verdicts.map((v) => [v.leadId, v.verdict.kind]));
    assert.equal(byLead.get(lead(1).lead.lead_id), 'delivered');
    assert.equal(byLead.get(twin.lead.lead_id), 'retry');
  });

  it('stops the destination without a request when the token reference is unset', async () => {
    const sut = client();
    const verdicts = await sut.send(tasks([lead(1)], 'HS_SPEC_UNSET'), AbortSignal.timeout(5_000));
    await sut.close();
    assert.equal(seen.length, 0);
    assert.equal(verdicts[0]!.verdict.kind, 'stop');
    assert.match(JSON.stringify(verdicts[0]!.verdict), /HS_SPEC_UNSET/);
  });

  it('throws when HubSpot does not answer within the request timeout, so the layer retries', async () => {
    answer = () => undefined;
    const sut = client(200);
    await assert.rejects(sut.send(tasks([lead(1)]), AbortSignal.timeout(5_000)));
    await sut.close().catch(() => undefined);
    assert.equal(seen.length, 1);
  });
});
