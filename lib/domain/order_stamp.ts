/**
 * Order stamps of messages sent without a key. Kafka orders messages only within a partition, and a producer
 * that sends no key spreads one flight's (or bag's) updates over several: among those, the newest by the
 * message timestamp wins, ties broken by partition and then offset, so that every replay ends the same.
 * Messages with a key keep Kafka's order on their one partition and carry no stamp.
 */

/** The stamp of a message without a key: timestamp, partition and offset in fixed-width base 36, comparable as strings. */
export function orderStamp(timestampMs: string, partition: number, offset: string): string {
  const field = (value: bigint, width: number) => value.toString(36).padStart(width, "0");
  return field(BigInt(timestampMs), 9) + field(BigInt(partition), 3) + field(BigInt(offset), 13);
}

/** What the upsert scripts take for a message with a key: no stamp. */
export const KEYED = "-";
