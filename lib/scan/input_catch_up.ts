/**
 * Before a scan: waits until Redis holds every flight and bag message that Kafka held when the scan began.
 *
 * Normally the consumers are a fraction of a second behind, and the wait is that long. After Redis lost
 * its data or went back in time they replay their partitions, and a scan meanwhile would publish work
 * computed from old data (-1 and -3 where the bags had departures): corrections that go backwards. So the
 * scan waits for the replay, up to SCAN_CATCH_UP_SECONDS; past that (a consumer down, say) it scans
 * what Redis has, and says so.
 */
import { Cluster } from "ioredis";
import type { Kafka } from "kafkajs";
import { NodeRecords } from "../consume/node_records.ts";
import { appliedOffsetsKey } from "../infra/keys.ts";
import { delay } from "../infra/poll.ts";
import type { RedisClient } from "../infra/redis.ts";

/** How the wait ended: caught up, the deadline passed, or Kafka could not say (the scan goes on either way). */
export type CatchUp = "caught-up" | "timed-out" | "unknown";

/** An input topic, and on a Redis Cluster the SCAN pattern of the data its consumer stores (see NodeRecords). */
export interface InputTopic {
  readonly topic: string;
  readonly dataPattern: string;
}

/**
 * The last offset Redis records as applied for a partition, -1n for none: `offsets:<topic>` on one node; on a cluster
 * the lowest of the masters' records (lib/consume/node_records.ts), as the consumers read it.
 */
function recordedOffsets(redis: RedisClient, inputs: readonly InputTopic[]) {
  if (!(redis instanceof Cluster)) {
    return async (topic: string, partition: string) => {
      const recorded = await redis.hget(appliedOffsetsKey(topic), partition);
      return recorded === null ? -1n : BigInt(recorded);
    };
  }
  const records = new Map(inputs.map((input) => [input.topic, new NodeRecords(redis, input.topic, input.dataPattern)]));
  return (topic: string, partition: string) => records.get(topic)!.lowest(Number(partition));
}

/** Per topic, the last offset of each non-empty partition as Kafka has it now. */
async function lastOffsets(kafka: Kafka, topics: readonly string[]): Promise<Map<string, Map<string, bigint>>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const result = new Map<string, Map<string, bigint>>();
    // A topic nobody created yet holds nothing to wait for (and kafkajs would retry its offsets for ~30 s).
    const existing = new Set(await admin.listTopics());
    for (const topic of topics.filter((name) => existing.has(name))) {
      const partitions = new Map<string, bigint>();
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > BigInt(low)) partitions.set(String(partition), BigInt(high) - 1n);
      }
      result.set(topic, partitions);
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until what Redis records as applied reaches Kafka's last offsets of `inputs` as of now, for up to `timeoutMs`
 * or until `signal` aborts (a shutdown).
 */
export async function waitForInputCaughtUp(
  kafka: Kafka,
  redis: RedisClient,
  inputs: readonly InputTopic[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CatchUp> {
  if (timeoutMs === 0) return "unknown";
  const recorded = recordedOffsets(redis, inputs);
  let targets: Map<string, Map<string, bigint>>;
  try {
    targets = await lastOffsets(kafka, inputs.map((input) => input.topic));
  } catch {
    return "unknown";
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let behind = false;
    for (const [topic, partitions] of targets) {
      for (const [partition, last] of partitions) {
        if (await recorded(topic, partition) < last) behind = true;
      }
    }
    if (!behind) return "caught-up";
    if (Date.now() >= deadline || signal?.aborted) return "timed-out";
    await delay(100);
  }
}
