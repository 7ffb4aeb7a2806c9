import type { Firmographics } from '@lead-router/schemas';

/**
 * A source of company data by domain. `lookup` answers the company, or null when the provider
 * does not know the domain; it throws when the provider fails (an error, a refusal, no answer),
 * and stops when `signal` aborts.
 */
export interface FirmographicsProvider {
  readonly name: string;
  lookup(domain: string, signal: AbortSignal): Promise<Firmographics | null>;
}

/** The provider failed or refused: counted against its circuit, the lead marked unavailable. */
export class FirmographicsUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'FirmographicsUnavailableError';
  }
}

/** The normalizer's employee bands, so rules test one vocabulary for form and provider. */
export function employeeBandOf(employees: number): string {
  if (employees <= 10) return '1-10';
  if (employees <= 50) return '11-50';
  if (employees <= 200) return '51-200';
  if (employees <= 500) return '201-500';
  if (employees <= 1000) return '501-1000';
  if (employees <= 5000) return '1001-5000';
  if (employees <= 10_000) return '5001-10000';
  return '10001+';
}
