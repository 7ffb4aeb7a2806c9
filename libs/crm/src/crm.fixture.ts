import type { RoutedLead } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';

/** The n-th lead routed to `destination`, with its own id, email and owner there. */
export function crmLead(
  n: number,
  destination: 'sf' | 'hs',
  lead: Parameters<typeof routedLeadFixture>[0] = {},
): RoutedLead {
  return routedLeadFixture({
    ...lead,
    lead: {
      lead_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      email: `lead${n}@example.com`,
      ...lead.lead,
    },
    destinations: lead.destinations ?? [
      destinationFixture({ id: 'inbox', owner_id: 'alice@example.com' }),
      destinationFixture({
        id: destination,
        type: destination === 'sf' ? 'salesforce' : 'hubspot',
        url: null,
        owner_id: `owner-${n}`,
      }),
    ],
  });
}
