/**
 * The scan window as a consumer's clock has it, for the marks its upserts leave on the due flights whose work
 * they may change (see lua/upsert_flights.lua and lua/upsert_bags.lua; the scanner's change follower takes them).
 */
import type { Clock } from "../infra/clock.ts";
import type { Config } from "../infra/config.ts";
import { arrivalHours } from "../infra/keys.ts";

/** The clock and the scan's window and grace, in seconds. */
export interface MarkWindow {
  readonly clock: Clock;
  readonly windowSeconds: number;
  readonly graceSeconds: number;
}

/** What the upsert scripts need to mark: the work:due_* keys of the window's hours, and their mark arguments. */
export interface MarkInputs {
  readonly keys: readonly string[];
  /** The first and last arrival time that is due, now in milliseconds, and how many keys there are. */
  readonly args: readonly [number, number, number, number];
}

/** The window as it is now, with `keyOf(hour)` for each hour of arrival it covers. */
export function markInputs(
  { clock, windowSeconds, graceSeconds }: MarkWindow,
  keyOf: (hour: number) => string,
): MarkInputs {
  const now = clock();
  const [from, until] = [now - graceSeconds, now + windowSeconds];
  const keys = arrivalHours(from, until).map(keyOf);
  return { keys, args: [from, until, Math.round(now * 1000), keys.length] };
}

/** The mark window of a consumer configured by `config`, reading `clock`. */
export function markWindowOf(config: Config, clock: Clock): MarkWindow {
  return { clock, windowSeconds: config.scan.windowSeconds, graceSeconds: config.scan.graceSeconds };
}
