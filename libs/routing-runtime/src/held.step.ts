import type { StageResult } from '@lead-router/kafka';
import type { QueueAssignment } from '@lead-router/schemas';
import type { StepContext } from './step.context';

export interface HeldStepDeps {
  topics: { held: string; assign: string };
  now: () => number;
  /** How long a pass that found nothing due waits before the next (default 1 s). */
  idleMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Held leads go round router.held until due, then back to router.assign under their version;
 * a pass that finds nothing due waits before the next, so waiting leads cost little.
 */
export class HeldStep {
  private nothingDue = false;

  constructor(private readonly deps: HeldStepDeps) {}

  async beforeChunk(): Promise<void> {
    if (this.nothingDue) await (this.deps.sleep ?? sleep)(this.deps.idleMs ?? 1000);
    this.nothingDue = true;
  }

  handle(a: QueueAssignment, ctx: StepContext): StageResult {
    const { topics, now } = this.deps;
    const key = ctx.key?.toString() ?? a.enriched.lead.lead_id;
    if (a.held_until > now())
      return { kind: 'ok', outputs: [{ topic: topics.held, key, value: a }] };
    this.nothingDue = false;
    return {
      kind: 'ok',
      outputs: [{ topic: topics.assign, key, value: { ...a, held_until: 0 } }],
    };
  }
}
