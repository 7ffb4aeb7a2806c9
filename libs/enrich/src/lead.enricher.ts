import type { EnrichedLead, EnrichmentStepStatus, NormalizedLead } from '@lead-router/schemas';
import { emailDomainOf, websiteDomainOf } from './domain.extractor';
import type { EnrichmentStep, StepResult } from './enrichment.step';
import { isFreeMailDomain } from './free-mail.detector';

/**
 * What is learned from the lead itself, before any step: its email domain, whether that is a
 * free mail provider, and the company's domain (the normalizer's registrable one; for a lead
 * normalized without it, the business email's, else the website's). Every later field at its
 * default.
 */
export function enrich(lead: NormalizedLead, now: number): EnrichedLead {
  const emailDomain = emailDomainOf(lead.email);
  const freeMail = emailDomain !== null && isFreeMailDomain(emailDomain);
  const companyDomain =
    lead.company_domain ??
    (emailDomain !== null && !freeMail ? emailDomain : websiteDomainOf(lead.website));
  return {
    lead,
    enrichment: {
      email_domain: emailDomain,
      company_domain: companyDomain,
      free_mail: freeMail,
      enriched_at: now,
      disposable: false,
      role_address: false,
      ip_country: null,
      ip_region: null,
      firmographics: null,
      score: 0,
      score_points: [],
      enrichment_status: {},
      account: null,
      duplicate_of: null,
      duplicate_by: null,
      duplicate_owner: null,
    },
  };
}

/**
 * Runs the configured steps in order over one lead, each seeing what the ones before it learned,
 * and records each step's status in `enrichment_status` (steps configured off as `disabled`).
 * A lead whose steps all answer synchronously is enriched without a promise. An asynchronous
 * step is given its `timeoutMs` and no more: a late answer is dropped and the step recorded as
 * `timeout`, so no lead waits longer than the sum of its steps' timeouts. A step that throws is
 * `failed`; the lead goes on either way.
 */
export class LeadEnricher {
  private readonly disabled: Readonly<Record<string, EnrichmentStepStatus>>;

  constructor(
    private readonly steps: readonly EnrichmentStep[],
    disabled: readonly string[] = [],
  ) {
    this.disabled = Object.fromEntries(disabled.map((name) => [name, 'disabled' as const]));
  }

  enrich(lead: NormalizedLead, now: number): EnrichedLead | Promise<EnrichedLead> {
    const draft = enrich(lead, now);
    draft.enrichment.enrichment_status = { ...this.disabled };
    return this.runFrom(draft, 0);
  }

  private runFrom(draft: EnrichedLead, first: number): EnrichedLead | Promise<EnrichedLead> {
    for (let i = first; i < this.steps.length; i++) {
      const step = this.steps[i] as EnrichmentStep;
      let result: StepResult | Promise<StepResult>;
      try {
        result = step.run(draft);
      } catch {
        result = { status: 'failed' };
      }
      if (result instanceof Promise) return this.awaitStep(draft, i, step, result);
      apply(draft, step, result);
    }
    return draft;
  }

  private async awaitStep(
    draft: EnrichedLead,
    index: number,
    step: EnrichmentStep,
    pending: Promise<StepResult>,
  ): Promise<EnrichedLead> {
    apply(draft, step, await bounded(pending, step.timeoutMs));
    return this.runFrom(draft, index + 1);
  }
}

function apply(draft: EnrichedLead, step: EnrichmentStep, result: StepResult): void {
  if (result.patch !== undefined) Object.assign(draft.enrichment, result.patch);
  draft.enrichment.enrichment_status[step.name] = result.status;
}

const TIMED_OUT: StepResult = { status: 'timeout' };
const FAILED: StepResult = { status: 'failed' };

/** The step's answer, or `timeout` once `timeoutMs` has passed, whichever comes first. */
function bounded(pending: Promise<StepResult>, timeoutMs: number | undefined): Promise<StepResult> {
  const answer = pending.catch(() => FAILED);
  if (timeoutMs === undefined) return answer;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<StepResult>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}
