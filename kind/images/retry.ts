/**
 * Tries `attempt` until it resolves, or rethrows its last error after `timeoutMs`: for a program
 * started from an image that takes a moment before it answers.
 */
export async function retry<T>(attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
