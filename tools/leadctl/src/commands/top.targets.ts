import { optionalServices, serviceManifest, type ServiceEntry } from '@lead-router/schemas';
import { UsageError } from '../cli.errors';

/** A service's HTTP address whose /metrics `leadctl top` reads. */
export interface Target {
  /** The service's name as given or from the manifest; else the frame names it by its address. */
  readonly name: string | null;
  readonly url: string;
  /**
   * An optional deployment (pipeline-fused) left out of the frame while it does not answer, and
   * the services it replaces left out while it does.
   */
  readonly replaces?: readonly string[];
}

/** `sink-hubspot` → `SINK_HUBSPOT_PORT`, the variable `npm start` reads a stage's port from. */
const startPortVar = (name: string): string => `${name.toUpperCase().replace(/-/g, '_')}_PORT`;

const portOf = (service: ServiceEntry, env: NodeJS.ProcessEnv): string => {
  const variable = service.port.env === 'PORT' ? startPortVar(service.name) : service.port.env;
  return env[variable] || String(service.port.default);
};

/**
 * Every service of the manifest on `host`, each at the port `npm start` gives it (its default, or
 * `<NAME>_PORT` / `INGEST_PORT` as `npm start` reads them), and the optional deployments after.
 */
export function manifestTargets(host: string, env: NodeJS.ProcessEnv = process.env): Target[] {
  const at = (service: ServiceEntry) => `http://${host}:${portOf(service, env)}`;
  return [
    ...serviceManifest.map((s) => ({ name: s.name, url: at(s) })),
    ...optionalServices.map((s) => ({ name: s.name, url: at(s), replaces: s.replaces })),
  ];
}

/**
 * `--targets`: comma-separated `name=url` or `url` (`http://` is added to a bare `host:port`); the
 * name of a target given by its address alone is read from its metrics' `service` label.
 */
export function parseTargets(list: string): Target[] {
  const targets = list
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): Target => {
      const eq = entry.indexOf('=');
      const named = eq > 0 && !entry.slice(0, eq).includes('/');
      const name = named ? entry.slice(0, eq) : null;
      const address = named ? entry.slice(eq + 1) : entry;
      const url = /^https?:\/\//.test(address) ? address : `http://${address}`;
      try {
        return { name, url: new URL(url).toString().replace(/\/$/, '') };
      } catch {
        throw new UsageError(`--targets: ${entry} is not a URL (expected name=http://host:port)`);
      }
    });
  if (targets.length === 0) throw new UsageError('--targets names no target');
  return targets;
}
