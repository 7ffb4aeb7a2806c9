/**
 * Rule sets for benches and tests of the router, as YAML: one webhook destination that is never
 * called (sinks are not part of these runs) and round-robin queues whose members are always
 * available, so nothing but the rotation decides an owner.
 */

/**
 * A round-robin queue per country (`q-<country>`, three members `<country>-ana`, `-ben`, `-cai`)
 * and a rule sending each country's leads to its queue; leads of any other country fall back to
 * the first country's queue.
 */
export function rotationRules(id: string, countries: readonly string[]): string {
  return `id: ${id}
version: "1"
destinations:
  crm: { type: webhook, url: "http://127.0.0.1:9/unused" }
queues:
${countries
  .map(
    (c) => `  q-${c}:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: ${c}-ana, owners: { crm: "u-${c}-ana" } }
      - { id: ${c}-ben, owners: { crm: "u-${c}-ben" } }
      - { id: ${c}-cai, owners: { crm: "u-${c}-cai" } }`,
  )
  .join('\n')}
rules:
${countries
  .map(
    (c) => `  - name: to-${c}
    when: { path: lead.country, eq: ${c} }
    queue: q-${c}
    destinations: [crm]`,
  )
  .join('\n')}
fallback: { queue: q-${countries[0]}, destinations: [crm] }
`;
}

/**
 * One queue `q` whose only member, `dana`, is out of office until `back`: every lead is held
 * (the held queue) until then, and assigned to her after it.
 */
export function awayRules(id: string, back: Date): string {
  return `id: ${id}
version: "1"
destinations:
  crm: { type: webhook, url: "http://127.0.0.1:9/unused" }
queues:
  q:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - id: dana
        owners: { crm: "u-dana" }
        out_of_office: [{ start: "2020-01-01T00:00:00Z", end: "${back.toISOString()}" }]
rules: []
fallback: { queue: q, destinations: [crm] }
`;
}
