import { readFileSync } from 'node:fs';
import { type AdSource, parseSourcesConfig, type SecretRef } from '@lead-router/capture';
import { ConfigError, resolveCredential } from '@lead-router/config';

/** What ingest checks a platform's calls with: the secrets of one source, resolved at start. */
export type SourceSecrets =
  | { platform: 'meta'; appSecret: string; verifyToken: string }
  | { platform: 'google'; googleKey: string }
  | { platform: 'linkedin'; clientSecret: string };

export type IngestAdSource = AdSource & { secrets: SourceSecrets };

function secretsOf(source: AdSource, resolve: (ref: SecretRef) => string): SourceSecrets {
  switch (source.platform) {
    case 'meta':
      return {
        platform: 'meta',
        appSecret: resolve(source.app_secret),
        verifyToken: resolve(source.verify_token),
      };
    case 'google':
      return { platform: 'google', googleKey: resolve(source.google_key) };
    case 'linkedin':
      return { platform: 'linkedin', clientSecret: resolve(source.client_secret) };
  }
}

/**
 * The sources file's ad-platform sources with the secrets ingest needs (the access tokens are
 * source-fetcher's). Every unreadable file, bad entry and missing secret is one ConfigError.
 */
export function loadAdSources(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ReadonlyMap<string, IngestAdSource> {
  if (path === undefined) return new Map();
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new ConfigError([
      `INGEST_SOURCES_FILE: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    ]);
  }
  const parsed = parseSourcesConfig(text);
  if (!parsed.ok) throw new ConfigError(parsed.error.map((p) => `${path}: ${p}`));
  const problems: string[] = [];
  const sources = new Map<string, IngestAdSource>();
  for (const [name, source] of parsed.value) {
    try {
      sources.set(name, {
        ...source,
        secrets: secretsOf(source, (ref) => resolveCredential(ref, { env, readFile })),
      });
    } catch (e) {
      problems.push(
        ...(e instanceof ConfigError ? e.problems : [String(e)]).map((p) => `${name}: ${p}`),
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sources;
}
