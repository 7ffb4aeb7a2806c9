/**
 * Asks `probe` again, 100 ms apart, until `done` holds for its answer or `timeoutMs` has passed,
 * and returns the last answer either way. Unlike `waitFor`, which throws at its deadline, this
 * leaves the verdict to the caller's assertion, which then reports what was last seen.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
