export const DEFAULT_RULES = `id: default
version: "2026-11-25.1"
destinations:
  demo-inbox: { type: webhook, url: "http://localhost:8090/inbox" }
  crm: { type: salesforce }
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { demo-inbox: "005A1", crm: "SF-A" } }
      - { id: bob, owners: { demo-inbox: "005B2", crm: "SF-B" } }
segments:
  emea: { any: [ { path: lead.country, in: [DE, FR, GB] } ] }
rules:
  - name: enterprise-emea
    when: { all: [ { segment: emea }, { path: enrichment.free_mail, eq: false } ] }
    queue: sales
    destinations: [demo-inbox, crm]
  - name: vip
    when: { path: lead.attributes.tier, eq: vip }
    owner: "005VIP"
    destinations: [demo-inbox]
fallback:
  queue: sales
  destinations: [demo-inbox]
`;
