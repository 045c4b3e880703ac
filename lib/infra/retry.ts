/** Retrying transient failures (Redis or Kafka unavailable) with capped exponential backoff and jitter. */
import { errorMessage, type Logger } from "./log.ts";
import { delay } from "./poll.ts";

/** Backoff before attempt `attempt` (1-based): 100 ms doubling to 5 s, plus up to 20% jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 10));
  return base + Math.floor(Math.random() * base * 0.2);
}

/**
 * Runs `operation` until it succeeds; between failures logs, calls `onRetry` (for example a Kafka
 * heartbeat) and backs off. Gives up with the last error once `shouldContinue()` returns false.
 */
export async function retryUntilDone<T>(
  what: string,
  operation: () => Promise<T>,
  logger: Logger,
  shouldContinue: () => boolean,
  onRetry: () => Promise<void> = async () => {},
): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!shouldContinue()) throw error;
      const wait = backoffMs(attempt);
      logger.warn(
        { err: errorMessage(error), attempt, wait_ms: wait },
        `${what} failed; retrying`,
      );
      await delay(wait);
      await onRetry().catch(() => {});
    }
  }
}
