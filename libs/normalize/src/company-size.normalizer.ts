import { issue, type Cleaned } from './normalize-issue.type';
import { normalizeText } from './text.normalizer';

/** The employee bands, LinkedIn's, which most forms and data providers use. */
export const COMPANY_SIZE_BANDS = [
  '1-10',
  '11-50',
  '51-200',
  '201-500',
  '501-1000',
  '1001-5000',
  '5001-10000',
  '10001+',
] as const;

const UPPER_BOUNDS = [10, 50, 200, 500, 1000, 5000, 10000, Infinity];

function bandOf(employees: number): string | null {
  if (!Number.isFinite(employees) || employees < 1) return null;
  const i = UPPER_BOUNDS.findIndex((upper) => employees <= upper);
  return COMPANY_SIZE_BANDS[i] ?? null;
}

const NUMBER = String.raw`(\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?)\s*(k|m)?`;
const SOLO = /^(self[\s-]?employed|just me|only me|freelancer?|solo|sole trader|one)$/;
const RANGE = new RegExp(`${NUMBER}\\s*(?:-|–|—|to|bis|a|~)\\s*${NUMBER}`);
const MORE_THAN = new RegExp(`(?:more than|over|above|>)\\s*${NUMBER}|${NUMBER}\\s*\\+`);
const AT_LEAST = new RegExp(
  `(?:at least|>=|≥)\\s*${NUMBER}|${NUMBER}\\s*(?:or more|and (?:up|more)|plus)`,
);
const LESS_THAN = new RegExp(`(?:less than|fewer than|under|below|<)\\s*${NUMBER}`);
const UP_TO = new RegExp(`(?:up to|<=|≤|max\\.?)\\s*${NUMBER}`);
const ONE = new RegExp(`^(?:ca\\.?|approx\\.?|about|around|~)?\\s*${NUMBER}$`);

/**
 * `5,000`, `5.000` and `5 000` are five thousand (a separator before exactly three digits groups
 * thousands); `1.5k` and `1,5k` are 1,500.
 */
function numberOf(digits: string | undefined, suffix: string | undefined): number {
  const text = digits ?? '';
  const scale = suffix === 'k' ? 1_000 : suffix === 'm' ? 1_000_000 : 1;
  const grouped = text.replace(/[.,\s](?=\d{3}(?!\d))/g, '');
  return Math.round(Number(grouped.replace(',', '.')) * scale);
}

function employeesOf(text: string): number | null {
  if (SOLO.test(text)) return 1;
  let m = RANGE.exec(text);
  if (m) return Math.floor((numberOf(m[1], m[2]) + numberOf(m[3], m[4])) / 2);
  if ((m = AT_LEAST.exec(text))) return numberOf(m[1] ?? m[3], m[2] ?? m[4]);
  if ((m = MORE_THAN.exec(text))) return numberOf(m[1] ?? m[3], m[2] ?? m[4]) + 1;
  if ((m = LESS_THAN.exec(text))) return numberOf(m[1], m[2]) - 1;
  if ((m = UP_TO.exec(text))) return numberOf(m[1], m[2]);
  if ((m = ONE.exec(text))) return numberOf(m[1], m[2]);
  return null;
}

/**
 * A head count as submitted (`250`, `5,000 employees`, `51-200`, `1k+`, `more than 500`,
 * `Self-employed`) as an employee band. A range goes to the band of its midpoint; `N+` and
 * `more than N` to the band of N + 1, `less than N` to that of N - 1.
 */
export function normalizeCompanySize(raw: string | null): Cleaned<string> {
  const text = normalizeText(raw)
    ?.normalize('NFKC')
    .toLowerCase()
    .replace(
      /\b(employees?|staff|people|persons?|mitarbeiter(innen)?|empleados|salariés|fte)\b/g,
      '',
    )
    .replace(/\s+/g, ' ')
    .trim();
  if (text === undefined || text === '') return { value: null };
  const employees = employeesOf(text);
  const band = employees === null ? null : bandOf(employees);
  if (band !== null) return { value: band };
  return {
    value: null,
    issue: issue('company_size', 'unreadable_company_size', 'not a head count or range'),
  };
}
