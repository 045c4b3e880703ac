/**
 * Ceilings of the scan and the bridge without Kafka: the scan's Redis reads and work computation alone
 * (lib/work_reader.ts, no claim, no send), and the bridge's Lua append alone (lib/work_stream_store.ts
 * called directly with the same chunks of work messages, into a stream of the scratch database).
 */
import type { FlightWork } from "../../lib/domain/work.ts";
import type { Redis } from "../../lib/infra/redis.ts";
import { isUnreadable, readFlightWork, type RecordDue } from "../../lib/scan/work_reader.ts";
import { DUE_RECORDS_PREFIX } from "../../lib/infra/keys.ts";
import { createWorkStreamStore } from "../../lib/stream/work_stream_store.ts";
import { CpuMeter, cpuPerUnit, stackPids } from "./cpu.ts";

export interface ReadCeiling {
  readonly flights: number;
  readonly workItems: number;
  readonly workItemsPerSecond: number;
  readonly cpuMicrosecondsPerItem: Record<string, number>;
  /** The computed work, for the bridge's ceiling. */
  readonly works: readonly FlightWork[];
}

/**
 * readFlightWork() over `flightIds` in batches of `batchFlights`, as the scan reads them, recording the due flights
 * as the change path does when `record` is given; work items/s.
 */
export async function scanReadCeiling(
  redis: Redis,
  flightIds: readonly string[],
  batchFlights: number,
  record?: RecordDue,
) {
  const works: FlightWork[] = [];
  // A first pass over a few batches warms the JIT up, as the scan is warm after its first batches.
  await readFlightWork(redis, flightIds.slice(0, 2 * batchFlights));
  const cpu = new CpuMeter({ scanner: Deno.pid, "redis-server": stackPids()["redis-server"] ?? 0 }).start();
  const started = performance.now();
  for (let start = 0; start < flightIds.length; start += batchFlights) {
    for (const content of await readFlightWork(redis, flightIds.slice(start, start + batchFlights), record)) {
      if (content && !isUnreadable(content)) {
        works.push({ ...content, revision: 1, scanned_at: Date.now() / 1000, removed_bags: [] });
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const workItems = works.reduce((sum, work) => sum + Object.keys(work.bags).length, 0);
  return {
    flights: works.length,
    workItems,
    workItemsPerSecond: workItems / seconds,
    cpuMicrosecondsPerItem: cpuPerUnit(cpu.stop(), workItems),
    works,
  } satisfies ReadCeiling;
}

/**
 * append_work_entries.lua through lib/work_stream_store.ts, `batchMessages` work messages a call as the
 * bridge sends them, `lanes` partitions at once, with the bridge's trimming; entries/s. Empties the
 * scratch database after.
 */
export async function bridgeAppendCeiling(
  scratch: Redis,
  works: readonly FlightWork[],
  batchMessages: number,
  lanes: number,
  maxLength: number,
) {
  await scratch.flushdb();
  try {
    const store = await createWorkStreamStore(
      scratch,
      "bench-ceiling-work",
      "bench:ceiling:stream",
      {
        maxLength,
        maxAgeSeconds: 0,
        revisionRetentionSeconds: 0,
      },
      () => Date.now() / 1000,
      () => {},
    );
    const laneRequests = Array.from({ length: lanes }, (_, lane) => {
      const mine = works.filter((_, index) => index % lanes === lane);
      const requests = [];
      for (let start = 0; start < mine.length; start += batchMessages) {
        const records = mine.slice(start, start + batchMessages).map((record, index) => ({
          offset: String(start + index),
          record,
        }));
        requests.push({ partition: lane, requiredOffset: -1n, lastOffset: records.at(-1)!.offset, records });
      }
      return requests;
    });
    const cpu = new CpuMeter({ bridge: Deno.pid, "redis-server": stackPids()["redis-server"] ?? 0 }).start();
    const started = performance.now();
    await Promise.all(laneRequests.map(async (requests) => {
      for (const request of requests) {
        if ((await store.store(request)).status !== "applied") throw new Error("the bridge ceiling's store lost state");
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const entries = works.reduce((sum, work) => sum + Object.keys(work.bags).length, 0);
    return { entries, entriesPerSecond: entries / seconds, cpuMicrosecondsPerEntry: cpuPerUnit(cpu.stop(), entries) };
  } finally {
    await scratch.flushdb();
  }
}

/**
 * Both ceilings on the work of `flightIds`, and the scan's reads recording the due flights as the change path does
 * (whose records are deleted after, so that the scan stage records them itself); the work is dropped before returning.
 */
export async function scanAndBridgeCeilings(
  redis: Redis,
  scratch: Redis,
  flightIds: readonly string[],
  config: { batchFlights: number; batchMessages: number; lanes: number; maxLength: number; graceSeconds: number },
) {
  const { works, ...reads } = await scanReadCeiling(redis, flightIds, config.batchFlights);
  const { works: _, ...readsRecording } = await scanReadCeiling(redis, flightIds, config.batchFlights, {
    graceSeconds: config.graceSeconds,
  });
  await deleteKeys(redis, `${DUE_RECORDS_PREFIX}*`);
  const append = await bridgeAppendCeiling(scratch, works, config.batchMessages, config.lanes, config.maxLength);
  return { reads, readsRecording, append };
}

/** Deletes the keys matching `pattern`. */
async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}
