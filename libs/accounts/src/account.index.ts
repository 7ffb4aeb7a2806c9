import type { Account, AccountMatchMethod } from '@lead-router/schemas';
import { distance } from 'fastest-levenshtein';
import { normalizeCompanyName } from './company-name.normalizer';

export interface AccountIndexOptions {
  /** The least similarity (0..1) a fuzzy name match needs; below it the lead has no account. */
  fuzzyMin: number;
}

/** What the lead is matched by: its registrable domains, best first, and its company name. */
export interface AccountQuery {
  domains: readonly string[];
  company: string | null;
}

export interface AccountCandidate {
  account: Account;
  method: AccountMatchMethod;
  /** 1 for domain and name_exact; the names' similarity for name_fuzzy. */
  score: number;
}

interface Entry {
  account: Account;
  name: string;
}

/** Names shorter than this are matched exactly or not at all: `ibm` is not `ibx`. */
const FUZZY_MIN_LENGTH = 4;
/** A block (word or prefix) shared by more accounts than this is too common to compare by. */
const MAX_BLOCK = 256;
/** The most accounts compared for one lead when it shares only common blocks (about 1 ms). */
const MAX_FALLBACK_BLOCK = 4_096;
/** Fuzzy answers remembered by normalized name, forgotten whenever an account changes. */
const FUZZY_ANSWERS = 10_000;

/** Similarity of two normalized names: 1 - Levenshtein distance / the longer length. */
export function nameSimilarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - distance(a, b) / longer;
}

/**
 * Among equals, the most recently updated account wins, then the lowest account id, so the
 * answer never depends on the order accounts were loaded in.
 */
function better(a: Account, b: Account): boolean {
  if (a.updated_at !== b.updated_at) return a.updated_at > b.updated_at;
  return a.account_id < b.account_id;
}

function add(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (ids === undefined) index.set(key, (ids = new Set()));
  ids.add(id);
}

function remove(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  ids?.delete(id);
  if (ids?.size === 0) index.delete(key);
}

/**
 * The accounts in memory, indexed by domain, normalized name and name token, and the matching
 * rules (docs/enrichment.md, Account matching):
 *  1. domain: the first of the lead's domains that belongs to an account;
 *  2. name_exact: the lead's company name equals an account's once both are normalized;
 *  3. name_fuzzy: the most similar normalized name at or above `fuzzyMin`, among accounts that
 *     share a word or the first three letters with the lead's company.
 * Ties within a method go to the most recently updated account, then the lowest account id.
 */
export class AccountIndex {
  private readonly byId = new Map<string, Entry>();
  private readonly byDomain = new Map<string, Set<string>>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly byBlock = new Map<string, Set<string>>();
  private readonly fuzzyAnswers = new Map<string, AccountCandidate | null>();

  constructor(private readonly options: AccountIndexOptions) {}

  get size(): number {
    return this.byId.size;
  }

  /** Adds the account, or replaces the one with its id. */
  put(account: Account): void {
    this.delete(account.account_id);
    this.fuzzyAnswers.clear();
    const id = account.account_id;
    const name = normalizeCompanyName(account.name);
    this.byId.set(id, { account, name });
    for (const domain of account.domains) add(this.byDomain, domain, id);
    if (name !== '') {
      add(this.byName, name, id);
      for (const block of blocksOf(name)) add(this.byBlock, block, id);
    }
  }

  delete(accountId: string): void {
    const entry = this.byId.get(accountId);
    if (entry === undefined) return;
    this.fuzzyAnswers.clear();
    this.byId.delete(accountId);
    for (const domain of entry.account.domains) remove(this.byDomain, domain, accountId);
    if (entry.name !== '') {
      remove(this.byName, entry.name, accountId);
      for (const block of blocksOf(entry.name)) remove(this.byBlock, block, accountId);
    }
  }

  match(query: AccountQuery): AccountCandidate | null {
    for (const domain of query.domains) {
      const best = this.best(this.byDomain.get(domain));
      if (best !== null) return { account: best, method: 'domain', score: 1 };
    }
    if (query.company === null) return null;
    const name = normalizeCompanyName(query.company);
    if (name === '') return null;
    const exact = this.best(this.byName.get(name));
    if (exact !== null) return { account: exact, method: 'name_exact', score: 1 };
    return name.length < FUZZY_MIN_LENGTH ? null : this.fuzzy(name);
  }

  private best(ids: ReadonlySet<string> | undefined): Account | null {
    let best: Account | null = null;
    for (const id of ids ?? []) {
      const account = this.byId.get(id)!.account;
      if (best === null || better(account, best)) best = account;
    }
    return best;
  }

  private fuzzy(name: string): AccountCandidate | null {
    if (this.fuzzyAnswers.has(name)) return this.fuzzyAnswers.get(name)!;
    const answer = this.fuzzySearch(name);
    if (this.fuzzyAnswers.size >= FUZZY_ANSWERS) this.fuzzyAnswers.clear();
    this.fuzzyAnswers.set(name, answer);
    return answer;
  }

  private fuzzySearch(name: string): AccountCandidate | null {
    const { fuzzyMin } = this.options;
    const seen = new Set<string>();
    let best: AccountCandidate | null = null;
    for (const ids of this.candidateBlocks(name)) {
      for (const id of ids) {
        if (seen.has(id)) continue;
        seen.add(id);
        const entry = this.byId.get(id)!;
        if (entry.name.length < FUZZY_MIN_LENGTH) continue;
        // Cheap bound first: names whose lengths differ this much cannot be similar enough.
        const longer = Math.max(name.length, entry.name.length);
        if (1 - Math.abs(name.length - entry.name.length) / longer < fuzzyMin) continue;
        const score = nameSimilarity(name, entry.name);
        if (score < fuzzyMin) continue;
        if (
          best === null ||
          score > best.score ||
          (score === best.score && better(entry.account, best.account))
        ) {
          best = { account: entry.account, method: 'name_fuzzy', score };
        }
      }
    }
    return best;
  }

  /**
   * The blocks whose accounts are compared: those of at most MAX_BLOCK accounts, since a word
   * that many accounts share (`systems`, `group`) says little; when every block is larger,
   * only the smallest, and none when even that one holds more than MAX_FALLBACK_BLOCK accounts:
   * a lead whose every word is common or misspelt may then go unmatched, but no lead costs more
   * than MAX_FALLBACK_BLOCK comparisons.
   */
  private candidateBlocks(name: string): ReadonlySet<string>[] {
    const blocks = blocksOf(name)
      .map((b) => this.byBlock.get(b))
      .filter((ids): ids is Set<string> => ids !== undefined)
      .sort((a, b) => a.size - b.size);
    const small = blocks.filter((ids) => ids.size <= MAX_BLOCK);
    if (small.length > 0) return small;
    const smallest = blocks[0];
    return smallest !== undefined && smallest.size <= MAX_FALLBACK_BLOCK ? [smallest] : [];
  }
}

/** The keys a name is found by for fuzzy matching: each word, and its first three letters. */
function blocksOf(name: string): string[] {
  return [`p:${name.slice(0, 3)}`, ...name.split(' ').map((word) => `w:${word}`)];
}
