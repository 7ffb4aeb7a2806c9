import { domainToASCII } from 'node:url';
import { isFreeMailDomain } from '@lead-router/enrich';
import type { Account } from '@lead-router/schemas';
import { getDomain } from 'tldts';
import { z } from 'zod';

/** The columns an accounts CSV may have; `owner.<destination>` once per destination. */
export const ACCOUNT_COLUMNS = ['account_id', 'name', 'domains', 'owner', 'updated_at'] as const;
const OWNER_COLUMN = /^owner\.([A-Za-z0-9_-]+)$/;

/** The registrable domain of a host or URL (`https://shop.acme.co.uk/x` -> `acme.co.uk`). */
export function registrableDomainOf(value: string): string | null {
  const host = value
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/[/?#:].*$/, '');
  const ascii = domainToASCII(host.toLowerCase());
  return ascii === '' ? null : getDomain(ascii, { allowPrivateDomains: true });
}

const optional = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const domainList = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const domains: string[] = [];
    for (const item of (value ?? '').split(/[\s,;]+/).filter((d) => d !== '')) {
      const domain = registrableDomainOf(item);
      if (domain === null) {
        ctx.addIssue({ code: 'custom', message: `"${item}" is not a domain with a public suffix` });
      } else if (isFreeMailDomain(domain)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${item}" is a free mail provider: every lead mailing from it would match`,
        });
      } else if (!domains.includes(domain)) domains.push(domain);
    }
    return domains;
  });

const rowSchema = z.object({
  account_id: z.string().trim().min(1, 'required').max(255),
  name: z.string().trim().min(1, 'required').max(500),
  domains: domainList,
  owner: optional,
  updated_at: optional.refine((v) => v === undefined || !Number.isNaN(Date.parse(v)), {
    message: 'expected an ISO 8601 date-time such as 2026-11-30T09:00:00Z',
  }),
});

export type AccountRowResult = { ok: true; account: Account } | { ok: false; reason: string };

/** Column names the file has that an accounts CSV cannot: reported before any row is read. */
export function unknownAccountColumns(columns: readonly string[]): string[] {
  return columns.filter(
    (c) => !(ACCOUNT_COLUMNS as readonly string[]).includes(c) && !OWNER_COLUMN.test(c),
  );
}

/**
 * One CSV row as an Account, or why it is refused (every problem of the row, `column: problem`).
 * Domains are separated by spaces, commas or semicolons and stored as registrable domains; the
 * owner is `owner` (a member id of the rule set's queues) and/or `owner.<destination>` columns;
 * `updated_at` defaults to the import time `now`.
 */
export function parseAccountRow(
  row: Readonly<Record<string, string>>,
  now: number,
): AccountRowResult {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) {
    return {
      ok: false,
      reason: parsed.error.issues
        .map((i) => `${i.path.join('.') || 'row'}: ${i.message}`)
        .join('; '),
    };
  }
  const { account_id, name, domains, owner, updated_at } = parsed.data;
  const ownerIds: Record<string, string> = {};
  for (const [column, value] of Object.entries(row)) {
    const destination = OWNER_COLUMN.exec(column)?.[1];
    if (destination !== undefined && value.trim() !== '') ownerIds[destination] = value.trim();
  }
  return {
    ok: true,
    account: {
      account_id,
      name,
      domains,
      owner_member_id: owner ?? null,
      owner_ids: ownerIds,
      updated_at: updated_at === undefined ? now : Date.parse(updated_at),
    },
  };
}
