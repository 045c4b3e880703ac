/**
 * The project's errors: a small closed set, each with a `code` and whether retrying can help
 * (`canRetry`). Everything that decides between "back off and try again" and "crash loudly" decides
 * by these (lib/infra/retry.ts), never by an error's message text.
 */

/** The code of each error the project throws. */
export type ErrorCode =
  | "CONFIG_INVALID"
  | "MESSAGE_INVALID"
  | "STORED_DATA_UNREADABLE"
  | "SCRIPT_REPLY_UNKNOWN"
  | "CLUSTER_UNSETTLED";

/** An error of the project's own. */
export abstract class RouterError extends Error {
  /**
   * @param code what went wrong, for logs and metrics
   * @param canRetry whether the same call may succeed later (a server coming back); false for bad input and bugs
   */
  constructor(message: string, readonly code: ErrorCode, readonly canRetry: boolean) {
    super(message);
  }
}

/** Configuration values are missing or invalid: `action` cannot happen; `problems` names each variable and value. */
export class ConfigError extends RouterError {
  override name = "ConfigError";
  constructor(action: string, readonly problems: readonly string[]) {
    super(`${action}: ${problems.join("; ")}`, "CONFIG_INVALID", false);
  }
}

/** A message from Kafka breaks the contract; `reason` is sent as the `error` header on the dead-letter topic. */
export class InvalidMessage extends RouterError {
  override name = "InvalidMessage";
  constructor(readonly reason: string) {
    super(reason, "MESSAGE_INVALID", false);
  }
}

/** What the Redis key `key` holds does not parse (written by something else, or damaged). */
export class UnreadableData extends RouterError {
  override name = "UnreadableData";
  constructor(readonly key: string, problem: string) {
    super(`${key} ${problem}`, "STORED_DATA_UNREADABLE", false);
  }
}

/** A Lua script answered something no caller knows: the scripts and the code disagree, a bug. */
export class UnexpectedScriptReply extends RouterError {
  override name = "UnexpectedScriptReply";
  constructor(readonly script: string, readonly reply: unknown) {
    super(`${script}.lua answered ${JSON.stringify(reply)}, which no caller knows`, "SCRIPT_REPLY_UNKNOWN", false);
  }
}

/**
 * The Redis Cluster's slot map gives no master for a key, or keeps redirecting a call: a failover or a resharding is
 * under way, and the same call succeeds once it has settled.
 */
export class ClusterUnsettled extends RouterError {
  override name = "ClusterUnsettled";
  constructor(problem: string) {
    super(`Redis Cluster not settled: ${problem}`, "CLUSTER_UNSETTLED", true);
  }
}
