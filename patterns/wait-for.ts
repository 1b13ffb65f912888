/**
 * Polls until check() returns something other than undefined. Cluster state converges rather
 * than changing at once (controllers react to each other), so checks wait for it, within limits.
 * On timeout it throws the error from `onTimeout`, which should say what was expected.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  onTimeout: () => Error | Promise<Error>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw await onTimeout();
    await new Promise((r) => setTimeout(r, 250));
  }
}
