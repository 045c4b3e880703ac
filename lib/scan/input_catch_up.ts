/**
 * Before a scan: waits until Redis holds every flight and bag message that Kafka held when the scan began.
 *
 * Normally the consumers are a fraction of a second behind, and the wait is that long. After Redis lost
 * its data or went back in time they replay their partitions, and a scan meanwhile would publish work
 * computed from old data (-1 and -3 where the bags had departures): corrections that go backwards. So the
 * scan waits for the replay, up to SCAN_CATCH_UP_SECONDS; past that (a consumer down, say) it scans
 * what Redis has, and says so.
 */
import type { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import { appliedOffsetsKey } from "../infra/keys.ts";
import { delay } from "../infra/poll.ts";

/** How the wait ended: caught up, the deadline passed, or Kafka could not say (the scan goes on either way). */
export type CatchUp = "caught-up" | "timed-out" | "unknown";

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
 * Waits until `offsets:<topic>` in Redis reaches Kafka's last offsets of `topics` as of now, for up to
 * `timeoutMs` or until `signal` aborts (a shutdown).
 */
export async function waitForInputCaughtUp(
  kafka: Kafka,
  redis: Redis,
  topics: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CatchUp> {
  if (timeoutMs === 0) return "unknown";
  let targets: Map<string, Map<string, bigint>>;
  try {
    targets = await lastOffsets(kafka, topics);
  } catch {
    return "unknown";
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let behind = false;
    for (const [topic, partitions] of targets) {
      if (partitions.size === 0) continue;
      const recorded = await redis.hmget(appliedOffsetsKey(topic), ...partitions.keys());
      let index = 0;
      for (const last of partitions.values()) {
        const offset = recorded[index++];
        if (offset === null || offset === undefined || BigInt(offset) < last) behind = true;
      }
    }
    if (!behind) return "caught-up";
    if (Date.now() >= deadline || signal?.aborted) return "timed-out";
    await delay(100);
  }
}
