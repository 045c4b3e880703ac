/**
 * Measuring a stage's rate from outside: a counter (applied offsets in Redis, stream entries added,
 * messages decoded) is polled until it reaches its target. The rate is taken between the first poll
 * that saw it move and the poll that saw it done, so start-up time (process start, group join) is excluded.
 */
import type { Redis } from "../../lib/infra/redis.ts";
import { delay } from "../../lib/infra/poll.ts";

/** How often the counter is read. */
const POLL_MS = 50;
/** The window after all processes run must hold at least this share of the work, or the first movement is used. */
const MIN_STEADY_SHARE = 0.2;

/** A measured stage: how much was done and how fast. */
export interface Throughput {
  /** Units done in the measured window. */
  readonly units: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** From the start of polling to done, start-up included. */
  readonly wallSeconds: number;
  /** Whether the window began once every process was running (else at the first movement). */
  readonly steady: boolean;
}

/**
 * Polls `read` until it returns at least `target`; throws after `timeoutMs` without progress.
 * The window starts at the first poll that saw movement once `running()` is true (it may throw to
 * abort), so that start-up and the group's first rebalance stay out of the rate.
 */
export async function measureUntil(
  read: () => Promise<number>,
  target: number,
  timeoutMs: number,
  describe: () => string,
  running: () => boolean = () => true,
): Promise<Throughput> {
  const begin = performance.now();
  const initial = await read();
  let previous = { at: begin, value: initial };
  let moved = { at: begin, value: initial };
  let firstMove: { at: number; value: number } | undefined;
  let steadyStart: { at: number; value: number } | undefined;
  while (previous.value < target) {
    await delay(POLL_MS);
    const isRunning = running();
    const sample = { at: performance.now(), value: await read() };
    if (sample.value > previous.value) {
      firstMove ??= sample;
      if (isRunning) steadyStart ??= sample;
      moved = sample;
    } else if (sample.at - moved.at > timeoutMs) {
      throw new Error(`no progress for ${timeoutMs} ms at ${sample.value} of ${target}: ${describe()}`);
    }
    previous = sample;
  }
  const steady = steadyStart !== undefined && target - steadyStart.value >= MIN_STEADY_SHARE * (target - initial);
  const start = (steady ? steadyStart : firstMove) ?? { at: begin, value: initial };
  const seconds = Math.max(0.001, (previous.at - start.at) / 1000);
  const units = previous.value - start.value;
  return { units, seconds, perSecond: units / seconds, wallSeconds: (previous.at - begin) / 1000, steady };
}

/** Messages applied so far according to an offsets hash (field → last applied offset), given each partition's first offset. */
export function appliedMessages(
  redis: Redis,
  hashKey: string,
  field: (partition: number) => string,
  ends: Map<number, { low: number; high: number }>,
): () => Promise<number> {
  return async () => {
    const recorded = await redis.hgetall(hashKey);
    let sum = 0;
    for (const [partition, { low }] of ends) {
      const offset = recorded[field(partition)];
      if (offset !== undefined) sum += Number(offset) + 1 - low;
    }
    return sum;
  };
}

/** Entries ever added to `stream` (XINFO STREAM entries-added: trimming does not lower it). */
export function entriesAdded(redis: Redis, stream: string): () => Promise<number> {
  return async () => {
    if ((await redis.exists(stream)) === 0) return 0;
    const info = await redis.call("XINFO", "STREAM", stream) as unknown[];
    const index = info.indexOf("entries-added");
    return Number(info[index + 1]);
  };
}
