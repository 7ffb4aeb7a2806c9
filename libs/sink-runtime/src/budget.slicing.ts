import type { BudgetWindow } from './destination.policy';

/** A fixed window the limiter counts in: `points` per `seconds`, the key expiring after it. */
export interface LimiterWindow {
  readonly points: number;
  readonly seconds: number;
}

/**
 * The fixed window a limiter may count in so that a rolling window never exceeds the budget.
 *
 * rate-limiter-flexible counts in fixed windows (a key that expires `seconds` after its first
 * point), while the vendors count in rolling ones (HubSpot's TEN_SECONDLY_ROLLING, Salesforce's
 * rolling 24 hours): a fixed window of the budget's own length lets twice the budget through
 * across a boundary. Windows of `w` seconds are back to back at best, so any rolling window of
 * `D` seconds touches at most ceil(D / w) + 1 of them; giving each floor(P / that) points keeps
 * every rolling window within P. About ten slices keep 80–90% of the budget usable. Windows are
 * whole seconds, since the limiter's key expiry is.
 */
export function limiterWindow(budget: BudgetWindow, slices = 10): LimiterWindow {
  const { points, seconds } = budget;
  for (let s = Math.min(slices, seconds); s >= 1; s--) {
    const w = Math.ceil(seconds / s);
    const touched = Math.ceil(seconds / w) + 1;
    const perWindow = Math.floor(points / touched);
    if (perWindow >= 1) return { points: perWindow, seconds: w };
  }
  // A budget of one: a window holds its single point at its start, so windows of the budget's
  // length keep requests at least that far apart.
  return { points: 1, seconds };
}
