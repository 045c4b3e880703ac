/**
 * The scan window as a consumer's clock has it, for the marks its upserts leave on the due flights whose work
 * they may change (see lua/upsert_flights.lua and lua/upsert_bags.lua; the scanner's change follower takes them).
 */
import type { Clock } from "../infra/clock.ts";
import type { Config } from "../infra/config.ts";

/** The clock and the scan's window and grace, in seconds. */
export interface MarkWindow {
  readonly clock: Clock;
  readonly windowSeconds: number;
  readonly graceSeconds: number;
}

/** The scripts' three mark arguments: the first and last arrival time that is due, and now in milliseconds. */
export function markArguments({ clock, windowSeconds, graceSeconds }: MarkWindow): [number, number, number] {
  const now = clock();
  return [now - graceSeconds, now + windowSeconds, Math.round(now * 1000)];
}

/** The mark window of a consumer configured by `config`, reading `clock`. */
export function markWindowOf(config: Config, clock: Clock): MarkWindow {
  return { clock, windowSeconds: config.scan.windowSeconds, graceSeconds: config.scan.graceSeconds };
}
