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
 * One queue `q` with one member and no rules: every lead falls back to `q`. `version` is the rule
 * set's version ("1" unless given); with `awayUntil` the member is out of office until then, so
 * every lead is held (the held queue) until then and assigned to the member after it.
 */
export function oneMemberRules(
  id: string,
  member: string,
  opts: { version?: string; awayUntil?: Date } = {},
): string {
  const away =
    opts.awayUntil === undefined
      ? ''
      : `\n        out_of_office: [{ start: "2020-01-01T00:00:00Z", end: "${opts.awayUntil.toISOString()}" }]`;
  return `id: ${id}
version: "${opts.version ?? '1'}"
destinations:
  crm: { type: webhook, url: "http://127.0.0.1:9/unused" }
queues:
  q:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - id: ${member}
        owners: { crm: "u-${member}" }${away}
rules: []
fallback: { queue: q, destinations: [crm] }
`;
}
