/**
 * Forwarding invalid messages, unchanged, to the dead-letter topic `<topic>.dlq` with the reason in
 * the `error` header and where they came from in `source_topic`, `source_partition`, `source_offset`.
 */
import type { KafkaMessage, Message, Producer } from "kafkajs";
import { sendGroups } from "../infra/kafka.ts";

/** The dead-letter topic of `topic`. */
export const deadLetterTopic = (topic: string) => `${topic}.dlq`;

/** An invalid message and why. */
export interface Rejected {
  readonly message: KafkaMessage;
  readonly reason: string;
}

/** Sends `rejected` (all from one partition of `topic`) to the dead-letter topic and waits for the acks. */
export async function sendToDeadLetters(
  producer: Producer,
  topic: string,
  partition: number,
  rejected: readonly Rejected[],
) {
  for (const group of sendGroups(rejected.map((entry) => ({ entry, value: entry.message.value })))) {
    await sendGroup(producer, topic, partition, group.map(({ entry }) => entry));
  }
}

async function sendGroup(producer: Producer, topic: string, partition: number, group: readonly Rejected[]) {
  try {
    await producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: group.map((entry) => toDeadLetter(topic, partition, entry)),
    });
  } catch (error) {
    if (!isTooLarge(error)) throw error;
    if (group.length > 1) {
      for (const entry of group) await sendGroup(producer, topic, partition, [entry]);
      return;
    }
    // Alone and with our headers it is over the broker's limit: keep the reason and a pointer to the original,
    // which stays readable in the source topic, rather than retrying a send that can never succeed.
    const entry = group[0]!;
    const pointer = toDeadLetter(topic, partition, entry);
    const size = entry.message.value?.byteLength ?? 0;
    pointer.value = null;
    pointer.headers = {
      ...pointer.headers,
      error: `${entry.reason} (value of ${size} bytes omitted: over the broker's message size)`,
    };
    await producer.send({ topic: deadLetterTopic(topic), acks: -1, messages: [pointer] });
  }
}

function toDeadLetter(topic: string, partition: number, { message, reason }: Rejected): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      error: reason,
      source_topic: topic,
      source_partition: String(partition),
      source_offset: message.offset,
    },
  };
}

function isTooLarge(error: unknown): boolean {
  const types = [error, (error as { originalError?: unknown })?.originalError].map((e) =>
    (e as { type?: string })?.type
  );
  return types.includes("MESSAGE_TOO_LARGE");
}
