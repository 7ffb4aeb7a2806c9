import { readFileSync } from 'node:fs';
import { ConfigError } from './config.loader';

/**
 * Where a secret is kept, as a rule set names it: an environment variable of the process, or a
 * file mounted into it (a Kubernetes or Docker secret). The same shape as the routing schema's
 * credential reference, restated here because a platform lib does not import a domain one.
 */
export type CredentialRef = { readonly env: string } | { readonly file: string };

export interface CredentialSources {
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads a file as UTF-8 text; throws as `fs.readFileSync` does. */
  readFile?: (path: string) => string;
}

/**
 * The secret a reference points to. Mounted files usually end with a newline, which is not part
 * of the secret, so surrounding whitespace is trimmed. A missing, empty or unreadable source is a
 * ConfigError that names the variable or file, never a value.
 */
export function resolveCredential(ref: CredentialRef, sources: CredentialSources = {}): string {
  const { env = process.env, readFile = (path: string) => readFileSync(path, 'utf8') } = sources;
  if ('env' in ref) {
    const value = env[ref.env]?.trim();
    if (value === undefined) {
      throw new ConfigError([`${ref.env}: not set; the rule set names it as a credential`]);
    }
    if (value === '') throw new ConfigError([`${ref.env}: empty; it must hold the credential`]);
    return value;
  }
  let text: string;
  try {
    text = readFile(ref.file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([
      `${ref.file}: cannot read the credential file (${code ?? 'unreadable'}); mount it or fix the rule set's reference`,
    ]);
  }
  const value = text.trim();
  if (value === '') throw new ConfigError([`${ref.file}: empty; it must hold the credential`]);
  return value;
}
