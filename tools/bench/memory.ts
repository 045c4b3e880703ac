/** Redis memory figures: INFO memory's used_memory and MEMORY USAGE of sampled keys. */
import type { Redis } from "../../lib/infra/redis.ts";

/** used_memory from INFO memory, in bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error("INFO memory has no used_memory");
  return Number(match[1]);
}

/** The mean MEMORY USAGE (every field counted: SAMPLES 0) of `keys` that exist, in bytes. */
export async function meanMemoryUsage(redis: Redis, keys: readonly string[]): Promise<number> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.call("MEMORY", "USAGE", key, "SAMPLES", "0");
  const sizes = ((await pipeline.exec()) ?? [])
    .map(([error, size]) => (error ? null : size as number | null))
    .filter((size): size is number => typeof size === "number");
  return sizes.length === 0 ? 0 : sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
}

/** Memory cost of what a stage stored: used_memory delta per item, and the mean MEMORY USAGE of sampled keys. */
export interface MemoryFigures {
  readonly items: number;
  readonly usedMemoryDeltaBytes: number;
  readonly bytesPerItem: number;
  readonly sampledKeys: number;
  readonly meanKeyBytes: number;
  /** Mean MEMORY USAGE of the sampled keys by group (for bags: by itinerary length). */
  readonly meanKeyBytesBy: Record<string, number>;
}

/** Figures for `items` items stored between the `before` and `after` used_memory readings. */
export async function memoryFigures(
  redis: Redis,
  before: number,
  after: number,
  items: number,
  sampleKeys: readonly string[],
  groupOf: (index: number) => string = () => "all",
): Promise<MemoryFigures> {
  const groups = new Map<string, string[]>();
  sampleKeys.forEach((key, index) => {
    const group = groupOf(index);
    const keys = groups.get(group) ?? [];
    keys.push(key);
    groups.set(group, keys);
  });
  const meanKeyBytesBy: Record<string, number> = {};
  for (const [group, keys] of [...groups].sort()) meanKeyBytesBy[group] = await meanMemoryUsage(redis, keys);
  return {
    items,
    usedMemoryDeltaBytes: after - before,
    bytesPerItem: items > 0 ? (after - before) / items : 0,
    sampledKeys: sampleKeys.length,
    meanKeyBytes: await meanMemoryUsage(redis, sampleKeys),
    meanKeyBytesBy,
  };
}
