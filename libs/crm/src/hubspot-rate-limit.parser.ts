import { type HeaderBag, integerHeader } from './http-headers';

export interface RateWindow {
  max: number | null;
  remaining: number | null;
}

/** What HubSpot said is left, from one response's headers; a window is null when absent. */
export interface HubSpotRateBudget {
  /** `X-HubSpot-RateLimit-Daily(-Remaining)`: per account per day; absent on OAuth calls. */
  daily: RateWindow | null;
  /** `X-HubSpot-RateLimit-Max`/`-Remaining`/`-Interval-Milliseconds`: the rolling ten seconds. */
  rolling: (RateWindow & { intervalMs: number | null }) | null;
  /** `X-HubSpot-RateLimit-Secondly(-Remaining)`: the per-second headers of the 2018 changelog. */
  secondly: RateWindow | null;
}

export function parseHubSpotRateLimits(headers: HeaderBag): HubSpotRateBudget {
  const pair = (max: string, remaining: string): RateWindow | null => {
    const w = { max: integerHeader(headers, max), remaining: integerHeader(headers, remaining) };
    return w.max === null && w.remaining === null ? null : w;
  };
  const rolling = pair('X-HubSpot-RateLimit-Max', 'X-HubSpot-RateLimit-Remaining');
  const intervalMs = integerHeader(headers, 'X-HubSpot-RateLimit-Interval-Milliseconds');
  return {
    daily: pair('X-HubSpot-RateLimit-Daily', 'X-HubSpot-RateLimit-Daily-Remaining'),
    rolling:
      rolling === null && intervalMs === null
        ? null
        : { max: rolling?.max ?? null, remaining: rolling?.remaining ?? null, intervalMs },
    secondly: pair('X-HubSpot-RateLimit-Secondly', 'X-HubSpot-RateLimit-Secondly-Remaining'),
  };
}
