import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startFakeHubSpot,
  startFakeSalesforce,
  type FakeHubSpot,
  type FakeSalesforce,
} from '@lead-router/crm-fakes';

/** The ports deploy/local/rules/demo.yaml names; other ports get a rewritten copy of the file. */
export const DEMO_PORTS = { inbox: 8090, salesforce: 8091, hubspot: 8092 } as const;

/**
 * The demo CRMs' credentials, given to sink-salesforce and sink-hubspot by `npm start` only:
 * the fakes accept nothing else, and a real org or account never sees them.
 */
export const DEMO_CRM_ENV = {
  SALESFORCE_CLIENT_ID: 'lr_demo_salesforce_client',
  SALESFORCE_CLIENT_SECRET: 'lr_demo_salesforce_secret',
  HUBSPOT_TOKEN: 'pat-lr-demo-token',
} as const;

export interface DemoCrms {
  salesforce: FakeSalesforce;
  hubspot: FakeHubSpot;
  close(): Promise<void>;
}

/** The fake Salesforce and HubSpot of test/fakes as the demo's CRMs, each listing what it holds. */
export async function startDemoCrms(ports: {
  salesforce: number;
  hubspot: number;
}): Promise<DemoCrms> {
  const salesforce = await startFakeSalesforce({
    port: ports.salesforce,
    clientId: DEMO_CRM_ENV.SALESFORCE_CLIENT_ID,
    clientSecret: DEMO_CRM_ENV.SALESFORCE_CLIENT_SECRET,
  });
  try {
    const hubspot = await startFakeHubSpot({
      port: ports.hubspot,
      tokens: [DEMO_CRM_ENV.HUBSPOT_TOKEN],
    });
    return {
      salesforce,
      hubspot,
      async close() {
        await hubspot.close();
        await salesforce.close();
      },
    };
  } catch (err) {
    await salesforce.close();
    throw err;
  }
}

/**
 * The demo rule set with its local URLs on the ports this start uses. With the default ports it
 * is the file itself; otherwise a copy in `dir`, the same version with other URLs, which only a
 * stack of its own (or its own TOPIC_PREFIX) will publish.
 */
export function demoRulesOn(
  file: string,
  ports: { inbox: number; salesforce: number; hubspot: number },
  dir: string,
): string {
  const text = readFileSync(file, 'utf8');
  const rewritten = (['inbox', 'salesforce', 'hubspot'] as const).reduce(
    (yaml, key) =>
      yaml.replaceAll(`http://localhost:${DEMO_PORTS[key]}`, `http://localhost:${ports[key]}`),
    text,
  );
  if (rewritten === text) return file;
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, 'demo.yaml');
  writeFileSync(copy, rewritten);
  return copy;
}
