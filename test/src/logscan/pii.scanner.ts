import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** What a lead says about the person behind it: the fields no log line may hold. */
export interface Person {
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
}

/** One log line holding personal data: where, which kind, and the value masked. */
export interface Finding {
  file: string;
  line: number;
  kind: 'email' | 'phone' | 'name';
  masked: string;
}

/** The values to look for, indexed for a scan of millions of lines. */
export interface PiiIndex {
  /** Lower-case emails of the test leads. */
  emails: Set<string>;
  /** Phones as their digits only, at least 7 of them, and without a country code (last 10). */
  phones: Set<string>;
  /** The lengths in `phones`, to look up a digit run's substrings of those lengths only. */
  phoneLengths: Set<number>;
  /** "first last", lower case, single spaces. */
  fullNames: Set<string>;
  /** Last names of at least 5 letters, as given (case-sensitive, matched as whole words). */
  lastNames: Set<string>;
  persons: number;
}

const MIN_PHONE_DIGITS = 7;
const MIN_LAST_NAME = 5;
/** Any email address, test lead or not: no log line has a reason to hold one. */
const EMAIL = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** A run of digits as phones are written: +, spaces, dots, dashes and parentheses between. */
const PHONE_LIKE = /\+?\(?\d[\d\s().-]{5,}\d/g;
const WORD = /\p{L}[\p{L}'-]*/gu;

const squash = (s: string): string => s.trim().replace(/\s+/g, ' ').toLowerCase();

export function piiIndexOf(persons: Iterable<Person>): PiiIndex {
  const index: PiiIndex = {
    emails: new Set(),
    phones: new Set(),
    phoneLengths: new Set(),
    fullNames: new Set(),
    lastNames: new Set(),
    persons: 0,
  };
  for (const p of persons) {
    index.persons++;
    if (p.email && p.email.includes('@')) index.emails.add(p.email.trim().toLowerCase());
    const digits = p.phone?.replace(/\D/g, '') ?? '';
    for (const phone of digits.length > 10 ? [digits, digits.slice(-10)] : [digits]) {
      if (phone.length < MIN_PHONE_DIGITS) continue;
      index.phones.add(phone);
      index.phoneLengths.add(phone.length);
    }
    const first = p.firstName?.trim() ?? '';
    const last = p.lastName?.trim() ?? '';
    if (first !== '' && last !== '') index.fullNames.add(squash(`${first} ${last}`));
    if (/^\p{Lu}\p{Ll}+$/u.test(last) && last.length >= MIN_LAST_NAME) index.lastNames.add(last);
  }
  return index;
}

const mask = (value: string): string =>
  value.length <= 2
    ? '*'.repeat(value.length)
    : `${value[0]}${'*'.repeat(value.length - 2)}${value.at(-1)}`;

/** The personal data in one log line: any email address, and the test leads' phones and names. */
export function findingsIn(line: string, index: PiiIndex): Omit<Finding, 'file' | 'line'>[] {
  const found: Omit<Finding, 'file' | 'line'>[] = [];
  for (const [email] of line.matchAll(EMAIL)) found.push({ kind: 'email', masked: mask(email) });
  for (const [run] of line.matchAll(PHONE_LIKE)) {
    const digits = run.replace(/\D/g, '');
    // A phone may sit in a longer run (written with an extension, or next to other digits).
    for (const length of index.phoneLengths) {
      for (let i = 0; i + length <= digits.length; i++) {
        const candidate = digits.slice(i, i + length);
        if (index.phones.has(candidate)) found.push({ kind: 'phone', masked: mask(candidate) });
      }
    }
  }
  const words = [...line.matchAll(WORD)].map((m) => m[0]);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (index.lastNames.has(word)) found.push({ kind: 'name', masked: mask(word) });
    const pair = i + 1 < words.length ? `${word} ${words[i + 1]}`.toLowerCase() : '';
    if (pair !== '' && index.fullNames.has(pair)) found.push({ kind: 'name', masked: mask(pair) });
  }
  return found;
}

/** Every `*.log` file under `dir`, however deep. */
export function logFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => f.endsWith('.log') && statSync(f).isFile());
}

/** Scans every line of every file, streaming (the logs of the whole suite run to gigabytes). */
export async function scanLogs(
  files: readonly string[],
  index: PiiIndex,
): Promise<{ findings: Finding[]; lines: number; bytes: number }> {
  const findings: Finding[] = [];
  let lines = 0;
  let bytes = 0;
  for (const file of files) {
    bytes += statSync(file).size;
    const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const text of reader) {
      n++;
      for (const f of findingsIn(text, index)) findings.push({ file, line: n, ...f });
    }
    lines += n;
  }
  return { findings, lines, bytes };
}
