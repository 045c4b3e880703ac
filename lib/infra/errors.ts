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
  | "SCRIPT_REPLY_UNKNOWN";

/** An error of the project's own. */
export abstract class RouterError extends Error {
  abstract readonly code: ErrorCode;
  /** Whether the same call may succeed later (a server coming back); false for bad input and bugs. */
  abstract readonly canRetry: boolean;
}

/** A configuration value is missing or invalid: the process cannot start. */
export class ConfigError extends RouterError {
  override name = "ConfigError";
  readonly code = "CONFIG_INVALID";
  readonly canRetry = false;
}

/** A message from Kafka breaks the contract; `reason` is sent as the `error` header on the dead-letter topic. */
export class InvalidMessage extends RouterError {
  override name = "InvalidMessage";
  readonly code = "MESSAGE_INVALID";
  readonly canRetry = false;
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Data stored in Redis does not parse (written by something else, or damaged). */
export class UnreadableData extends RouterError {
  override name = "UnreadableData";
  readonly code = "STORED_DATA_UNREADABLE";
  readonly canRetry = false;
}

/** A Lua script answered something no caller knows: the scripts and the code disagree, a bug. */
export class UnexpectedScriptReply extends RouterError {
  override name = "UnexpectedScriptReply";
  readonly code = "SCRIPT_REPLY_UNKNOWN";
  readonly canRetry = false;
  constructor(readonly script: string, readonly reply: unknown) {
    super(`${script}.lua answered ${JSON.stringify(reply)}, which no caller knows`);
  }
}
