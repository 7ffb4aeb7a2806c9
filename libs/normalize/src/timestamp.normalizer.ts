import type { AttributesReader } from './attributes.reader';
import { issue, type NormalizeIssue } from './normalize-issue.type';
import { cleanText } from './text.normalizer';

/** Where sources put their own submission time (Meta lead ads: created_time). */
const SUBMITTED_AT_FIELDS = [
  'submittedat',
  'createdtime',
  'createdat',
  'submissiondate',
  'submittedon',
  'datesubmitted',
  'submittime',
  'timestamp',
];

const ISO =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?))?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i;
const RFC_2822 =
  /^(?:[A-Za-z]{3},\s*)?\d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UTC|Z)$/;

export interface NormalizedTimestamp {
  submittedAt: number | null;
  issue?: NormalizeIssue;
  /** The time had no zone and was read as UTC. */
  withoutZone: boolean;
}

function zoneOf(zone: string): string {
  const upper = zone.toUpperCase();
  if (upper === 'Z' || upper === 'UTC' || upper === 'GMT') return 'Z';
  const [, sign, hh, mm = '00'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone) ?? [];
  return `${sign}${hh}:${mm}`;
}

function millisOf(text: string): { at: number; withoutZone: boolean } | null {
  if (/^\d{10}$/.test(text)) return { at: Number(text) * 1000, withoutZone: false };
  if (/^\d{13}$/.test(text)) return { at: Number(text), withoutZone: false };
  const iso = ISO.exec(text);
  if (iso) {
    const [, date, time = '00:00', zone] = iso;
    const at = Date.parse(
      `${date}T${time.replace(',', '.')}${zone === undefined ? 'Z' : zoneOf(zone)}`,
    );
    return Number.isNaN(at) ? null : { at, withoutZone: zone === undefined };
  }
  if (RFC_2822.test(text)) {
    const at = Date.parse(text);
    return Number.isNaN(at) ? null : { at, withoutZone: false };
  }
  return null;
}

/**
 * The source's submission time in UTC epoch milliseconds: ISO 8601 with an offset
 * (`2026-11-30T10:20:30+0100`), RFC 2822 (`Mon, 30 Nov 2026 10:20:30 +0100`) or epoch seconds or
 * milliseconds. ISO without a zone is read as UTC and flagged; anything else (`11/30/2026`, whose
 * day and month order is a guess) is left out and flagged.
 */
export function normalizeSubmittedAt(attributes: AttributesReader): NormalizedTimestamp {
  const raw = attributes.first(SUBMITTED_AT_FIELDS);
  const text = raw === null ? '' : cleanText(raw);
  if (text === '') return { submittedAt: null, withoutZone: false };
  const read = millisOf(text);
  if (read !== null) return { submittedAt: read.at, withoutZone: read.withoutZone };
  return {
    submittedAt: null,
    withoutZone: false,
    issue: issue('submitted_at', 'unreadable_timestamp', 'not an ISO 8601, RFC 2822 or epoch time'),
  };
}
