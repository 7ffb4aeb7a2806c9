import { parseScoreRules, type ScoreRule } from '@lead-router/enrich';

/** The five-rule lead score both enrichment benches time: mail flags, IP country, firmographics. */
export const BENCH_SCORE_RULES: ScoreRule[] = parseScoreRules(`
rules:
  - { name: business_email, points: 10, when: { path: enrichment.free_mail, eq: false } }
  - { name: not_disposable, points: 5, when: { path: enrichment.disposable, eq: false } }
  - { name: role_address, points: -10, when: { path: enrichment.role_address, eq: true } }
  - { name: emea_ip, points: 5, when: { path: enrichment.ip_country, in: [DE, FR, GB, NL] } }
  - name: mid_market
    points: 20
    when:
      all:
        - { path: enrichment.firmographics.employees, gte: 200 }
        - { path: enrichment.firmographics.employees, lt: 5000 }
`);
