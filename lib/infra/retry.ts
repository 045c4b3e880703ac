/**
 * Retrying what can heal (a server away, restarting or busy) with capped exponential backoff and
 * jitter; anything else is a bug or bad data, and retrying it would only hide it in a loop.
 */
import { ReplyError } from "ioredis";
import { RouterError } from "./errors.ts";
import { protocolErrorHeals } from "./kafka.ts";
import { postgresErrorHeals } from "./postgres.ts";
import { errorMessage, type Logger } from "./log.ts";
import { delay } from "./poll.ts";
import { exit } from "./runtime.ts";

/** JavaScript's own error types: thrown by code that is wrong, never by a server that is away. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/**
 * Redis error codes (the first word of an error reply, by protocol) of a server that is loading, busy,
 * failing over or resharding: the same command succeeds later. Any other reply (a script error, NOPERM,
 * WRONGTYPE) does not heal by waiting.
 */
const TRANSIENT_REDIS_REPLIES = new Set([
  "LOADING",
  "BUSY",
  "TRYAGAIN",
  "CLUSTERDOWN",
  "MASTERDOWN",
  "READONLY",
  "OOM",
]);

/**
 * Whether retrying `error` can help: the project's errors say so themselves; a Redis error reply by its code;
 * a Kafka protocol error by Kafka's own flag; a PostgreSQL error by its SQLSTATE; JavaScript's own error types
 * never. Other errors of the clients (a connection refused or closed, a timeout, kafkajs giving up its own
 * retries) heal when the server is back.
 */
export function canRetry(error: unknown): boolean {
  if (error instanceof RouterError) return error.canRetry;
  if (error instanceof ReplyError) {
    return TRANSIENT_REDIS_REPLIES.has(String((error as Error).message).split(" ", 1)[0]!);
  }
  return protocolErrorHeals(error) ?? postgresErrorHeals(error) ??
    !PROGRAMMING_ERRORS.some((type) => error instanceof type);
}

/** Logs `error` as fatal and ends the process: it cannot heal, and a supervisor restart makes it visible. */
export function crash(logger: Logger, what: string, error: unknown): never {
  logger.fatal({ err: error instanceof Error ? error.stack : String(error) }, `${what}: cannot continue`);
  return exit(70);
}

/** Backoff before attempt `attempt` (1-based): 100 ms doubling to 5 s, plus up to 20% jitter. */
export function backoffMs(attempt: number): number {
  const base = Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 10));
  return base + Math.floor(Math.random() * base * 0.2);
}

/**
 * Runs `operation` until it succeeds; between failures that can heal (canRetry) logs, calls `onRetry` (for
 * example a Kafka heartbeat) and backs off. Throws at once an error that cannot heal, and the last error
 * once `shouldContinue()` returns false.
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
      if (!canRetry(error) || !shouldContinue()) throw error;
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
