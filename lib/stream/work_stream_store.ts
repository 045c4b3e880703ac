/** Appends work messages to the Redis Stream through lua/append_work_entries.lua. */
import type { Redis } from "ioredis";
import type { FlightWork } from "../domain/work.ts";
import { bridgeOffsetsKey, bridgeRevisionArrivalsKey, bridgeRevisionsKey } from "../infra/keys.ts";
import { loadScript } from "../infra/scripts.ts";
import {
  parseRecordedOffset,
  type PartitionStore,
  type StoreRequest,
  type StoreResult,
  toStoreResult,
} from "../consume/partition_store.ts";

/**
 * Trimming of the stream: approximate maximum length and maximum age, and how long after a flight's
 * arrival its highest mirrored revision is remembered (0 disables each).
 */
export interface StreamTrim {
  readonly maxLength: number;
  readonly maxAgeSeconds: number;
  readonly revisionRetentionSeconds: number;
}

/** Appended and duplicate entries of one chunk (removal entries included), for metrics. */
export interface AppendCounts {
  readonly appended: number;
  readonly duplicates: number;
}

/** Returns `store` and `recordedOffset` for mirroring `topic` into `stream`; `onAppended` receives each chunk's counts. */
export async function createWorkStreamStore(
  redis: Redis,
  topic: string,
  stream: string,
  trim: StreamTrim,
  onAppended: (counts: AppendCounts, records: readonly FlightWork[]) => void,
): Promise<PartitionStore<FlightWork>> {
  const script = await loadScript(redis, "append_work_entries");
  const keys = [stream, bridgeOffsetsKey(stream), bridgeRevisionsKey(stream), bridgeRevisionArrivalsKey(stream)];
  const field = (partition: number) => `${topic}:${partition}`;

  const store = async (request: StoreRequest<FlightWork>): Promise<StoreResult> => {
    const minId = trim.maxAgeSeconds > 0 ? `${Date.now() - trim.maxAgeSeconds * 1000}-0` : "0";
    const forgetBefore = trim.revisionRetentionSeconds > 0
      ? String(Math.floor(Date.now() / 1000) - trim.revisionRetentionSeconds)
      : "0";
    const args: (string | number)[] = [
      field(request.partition),
      String(request.requiredOffset),
      request.lastOffset,
      trim.maxLength,
      minId,
      request.partition,
      forgetBefore,
    ];
    for (const { offset, record } of request.records) {
      const bags = Object.entries(record.bags);
      const removed = record.removed_bags;
      args.push(
        offset,
        record.id,
        record.revision,
        record.arrival_time,
        record.scanned_at,
        bags.length,
        removed.length,
      );
      for (const [bag, departure] of bags) args.push(bag, departure, record.next_flights[bag] ?? "");
      for (const bag of removed) args.push(bag);
    }
    const reply = await script.run(keys, args);
    const result = toStoreResult(reply);
    if (result.status === "applied") {
      const [, , appended, duplicates] = reply as [number, number, number, number];
      onAppended({ appended, duplicates }, request.records.map((parsed) => parsed.record));
    }
    return result;
  };
  const recordedOffset = async (partition: number) => parseRecordedOffset(await redis.hget(keys[1]!, field(partition)));
  return { store, recordedOffset };
}
