import type { AttemptResponse } from '@lead-router/delivery';

/** One POST with a deadline; any failure to get a response is `status: null`, never a throw. */
export async function postWebhook(
  request: { url: string; headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<AttemptResponse> {
  try {
    const res = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    // Read the body so the keep-alive connection goes back to the pool.
    const text = await res.text();
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      ...(res.ok ? {} : { error: text.slice(0, 200) }),
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { status: null, error: cause ?? (err instanceof Error ? err.name : 'request failed') };
  }
}
