/**
 * A bench's `--variant`: a label and the settings a service (or a floor server) runs with, so
 * several are compared in one run.
 */
export interface Variant {
  label: string;
  env: Record<string, string>;
  nodeFlags: string[];
}

/** `label:setting;setting`, each `KEY=value` or `--flag` (none after the colon: the defaults). */
export function parseVariant(spec: string): Variant {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new RangeError(`--variant ${spec}: expected label:KEY=value;--flag`);
  const variant: Variant = { label: spec.slice(0, colon), env: {}, nodeFlags: [] };
  for (const setting of spec
    .slice(colon + 1)
    .split(';')
    .filter(Boolean)) {
    const eq = setting.indexOf('=');
    if (setting.startsWith('--')) variant.nodeFlags.push(setting);
    else if (eq > 0) variant.env[setting.slice(0, eq)] = setting.slice(eq + 1);
    else throw new RangeError(`--variant ${spec}: ${setting} is neither KEY=value nor --flag`);
  }
  return variant;
}
