/** Waiting for conditions with a deadline instead of fixed sleeps. */

/** Resolves after `ms` milliseconds. */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms` milliseconds (its timer is cleared either way). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `probe` until it returns without throwing (and, when it returns a boolean, returns true),
 * or until `timeoutMs` passes; then throws with `describe(lastError)`.
 */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  timeoutMs: number,
  describe: (last: unknown) => string = (last) => `condition not met within ${timeoutMs} ms: ${String(last)}`,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = "never checked";
  while (true) {
    try {
      const result = await probe();
      if (result !== false) return result;
      last = "probe returned false";
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (Date.now() >= deadline) throw new Error(describe(last));
    await delay(intervalMs);
  }
}
