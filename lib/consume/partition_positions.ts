/** Where each partition of a topic starts in Kafka, and what a consumer group committed there. */
import type { Kafka } from "kafkajs";

/** One partition's positions: the log start offset, and the group's committed offset (-1n when none). */
export interface PartitionPosition {
  readonly logStart: bigint;
  readonly committed: bigint;
}

/** Reads the positions of every partition of `topic` for `groupId` in one pair of admin requests. */
export async function readPartitionPositions(
  kafka: Kafka,
  topic: string,
  groupId: string,
): Promise<Map<number, PartitionPosition>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    const committedByPartition = new Map(
      (committed?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]),
    );
    return new Map(offsets.map((entry) => [entry.partition, {
      logStart: BigInt(entry.low),
      committed: committedByPartition.get(entry.partition) ?? -1n,
    }]));
  } finally {
    await admin.disconnect();
  }
}
