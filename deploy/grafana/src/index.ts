/**
 * Where the monitoring configuration lives, relative to the repository's root: the Grafana
 * dashboard and its provisioning, Prometheus' scrape configuration and alert rules.
 */
export const MonitoringFiles = {
  dashboard: 'deploy/grafana/dashboards/lead-router.json',
  datasources: 'deploy/grafana/provisioning/datasources/prometheus.yml',
  dashboardProviders: 'deploy/grafana/provisioning/dashboards/lead-router.yml',
  prometheus: 'deploy/prometheus/prometheus.yml',
  alerts: 'deploy/prometheus/alerts.yml',
} as const;

/** The GitHub anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
