import { foldKey } from './text.normalizer';

/**
 * The submitted extra fields by folded name, so `Company Size`, `company_size` and `companySize`
 * are one field. The first field of a name wins.
 */
export class AttributesReader {
  private readonly byKey = new Map<string, string>();

  constructor(readonly attributes: Readonly<Record<string, string>>) {
    for (const [name, value] of Object.entries(attributes)) {
      const key = foldKey(name);
      if (!this.byKey.has(key)) this.byKey.set(key, value);
    }
  }

  /** The value of the first of `names` (folded) that was submitted, else null. */
  first(names: readonly string[]): string | null {
    for (const name of names) {
      const value = this.byKey.get(name);
      if (value !== undefined) return value;
    }
    return null;
  }
}
