/**
 * Rebuilds the scanner's publication state from the work topic when Redis lost it.
 *
 * Revisions live in Redis (work:flight:<id>), which may restart empty; the work topic is their durable
 * record. The bridge rebuilds each flight's highest mirrored revision from that topic, and readers keep
 * the highest revision, so a scanner that started again at revision 1 would have every later correction
 * dropped as an old duplicate until its numbering caught up. Before each scan, restoreWorkStateIfLost()
 * checks the WORK_STATE marker and, when it is missing, records for every flight of the topic the first
 * message with its highest revision (the one the bridge mirrored), that message's digest and its bags (the next
 * revision's `removed_bags` are counted from them), then sets the marker.
 */
import { randomUUID } from "node:crypto";
import type { RedisClient } from "../infra/redis.ts";
import type { Kafka, KafkaMessage } from "kafkajs";
import type { Config } from "../infra/config.ts";
import { parseFlightWork, workDigest } from "../domain/work.ts";
import { waitFor } from "../infra/poll.ts";
import { flightKey, flightsArrivedKey, WORK_STATE, workStateKey } from "../infra/keys.ts";
import { callPerNode } from "../infra/node_calls.ts";
import type { Logger } from "../infra/log.ts";
import { scriptsOf } from "../infra/scripts.ts";

/**
 * Makes the scanner restore its revisions from the work topic before its next scan. Called by the consumers
 * when they find Redis behind Kafka: a Redis back from an older snapshot holds older revisions too, and the
 * next correction would reuse a published revision number for other content.
 */
export async function requireWorkStateRestore(redis: RedisClient): Promise<void> {
  await redis.del(WORK_STATE);
}

/** Whether the publication states are there (no restore pending): only then may a scan publish. */
export async function workStateIntact(redis: RedisClient): Promise<boolean> {
  return (await redis.exists(WORK_STATE)) === 1;
}

/** The highest revision of a flight found in the topic. */
interface Published {
  readonly revision: number;
  readonly digest: string;
  readonly arrival: number;
  /** The JSON list of the revision's bag ids. */
  readonly bags: string;
}

/** Flights per restore_flight_work.lua call, so one call stays short. */
const FLIGHTS_PER_CALL = 200;
/** Longest a read of the whole work topic may take before the scan gives up (and the next one retries). */
const READ_TIMEOUT_MS = 600_000;

/**
 * Restores the publication states when the marker is missing (Redis lost its data, or it never ran).
 * Returns the number of flights restored, or undefined when the state was there.
 */
export async function restoreWorkStateIfLost(
  deps: { redis: RedisClient; kafka: Kafka; config: Config; logger: Logger },
  nowSeconds: number,
): Promise<number | undefined> {
  const { redis, kafka, config, logger } = deps;
  if (await workStateIntact(redis)) return undefined;
  // Flights past the retentions are gone from Redis (or about to be): their states are not needed.
  const horizon = nowSeconds - Math.min(config.scan.stateRetentionSeconds, config.scan.dataRetentionSeconds);
  const published = new Map<string, Published>();
  const read = await readTopicToEnd(kafka, config.topics.work, `${config.kafka.groupId}-restore`, (message) => {
    let work;
    try {
      work = parseFlightWork(message.value, config.limits);
    } catch {
      return; // not ours to judge here: the bridge dead-letters it
    }
    if (work.revision > (published.get(work.id)?.revision ?? 0)) {
      published.set(work.id, {
        revision: work.revision,
        digest: workDigest(work),
        arrival: work.arrival_time,
        // Only the flights kept below need their manifests: the topic may hold far older ones.
        bags: work.arrival_time >= horizon ? JSON.stringify(Object.keys(work.bags)) : "",
      });
    }
  });
  const flights = [...published].filter(([, work]) => work.arrival >= horizon);
  let restored = 0;
  for (let start = 0; start < flights.length; start += FLIGHTS_PER_CALL) {
    const chunk = flights.slice(start, start + FLIGHTS_PER_CALL);
    const counts = await callPerNode(redis, chunk, ([id]) => flightKey(id), ({ node, items, scopes }) => {
      const args = items.flatMap(([id, work], i) => [
        id,
        workStateKey(id, scopes[i]),
        flightsArrivedKey(scopes[i]),
        work.revision,
        work.digest,
        work.arrival,
        work.bags,
      ]);
      return scriptsOf(node).restore_flight_work.run([], [config.scan.stateRetentionSeconds, ...args]);
    });
    restored += counts.reduce<number>((sum, count) => sum + Number(count), 0);
  }
  await redis.hset(WORK_STATE, "restored_at", Math.floor(nowSeconds));
  if (read > 0) {
    logger.warn({ messages: read, restored }, "publication state missing from Redis; restored it from the work topic");
  }
  return restored;
}

/** Reads `topic` from its start up to its end as of now, with a throwaway consumer group; returns the count. */
async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  groupPrefix: string,
  onMessage: (message: KafkaMessage) => void,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${groupPrefix}-${randomUUID()}`;
  try {
    // Right after a topic is created the broker can still answer NOT_LEADER for a moment: ask again.
    const offsets = await waitFor(
      () => admin.fetchTopicOffsets(topic),
      10_000,
      (last) => `offsets of ${topic}: ${last}`,
      200,
    );
    const ends = new Map(
      offsets
        .filter((partition) => BigInt(partition.high) > BigInt(partition.low))
        .map((partition) => [partition.partition, BigInt(partition.high)]),
    );
    if (ends.size === 0) return 0;
    const consumer = kafka.consumer({ groupId });
    const done = Promise.withResolvers<void>();
    const timer = setTimeout(
      () => done.reject(new Error(`reading ${topic} took over ${READ_TIMEOUT_MS} ms`)),
      READ_TIMEOUT_MS,
    );
    let count = 0;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const end = ends.get(batch.partition);
          if (end === undefined) return;
          for (const message of batch.messages) {
            if (BigInt(message.offset) >= end) break;
            onMessage(message);
            count += 1;
          }
          if (BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
          if (ends.size === 0) done.resolve();
        },
      });
      await done.promise;
      return count;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}
