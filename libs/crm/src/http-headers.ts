/** Response headers as fetch gives them (`Headers`) or as a plain object (node:http, undici). */
export type HeaderBag =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>;

/** One header's value by case-insensitive name; repeated values joined with ", "; null if absent. */
export function headerValue(headers: HeaderBag, name: string): string | null {
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name);
  }
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return null;
}

/** A header holding a non-negative integer; null when absent or not one. */
export function integerHeader(headers: HeaderBag, name: string): number | null {
  const value = headerValue(headers, name)?.trim() ?? '';
  return /^\d+$/.test(value) ? Number(value) : null;
}
