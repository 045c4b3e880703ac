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

/** What the upsert scripts need to mark, as the window is at one moment. */
export interface MarkInputs {
  /** The first and last arrival time (Unix seconds) that is due. */
  readonly from: number;
  readonly until: number;
  /** Now in milliseconds: the score of a new mark. */
  readonly nowMs: number;
  /** The hours of arrival the window covers, comma-separated: which work:due_* keys the scripts read. */
  readonly hours: string;
}

/** The window as it is now. */
export function markInputs({ clock, windowSeconds, graceSeconds }: MarkWindow): MarkInputs {
  const now = clock();
  const [from, until] = [now - graceSeconds, now + windowSeconds];
  return { from, until, nowMs: Math.round(now * 1000), hours: arrivalHours(from, until).join(",") };
}

/** The mark window of a consumer configured by `config`, reading `clock`. */
export function markWindowOf(config: Config, clock: Clock): MarkWindow {
  return { clock, windowSeconds: config.scan.windowSeconds, graceSeconds: config.scan.graceSeconds };
}
