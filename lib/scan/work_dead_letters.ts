/**
 * Work that cannot be published (too large for the work topic, unreadable stored data, rejected by the
 * broker) goes to `<work topic>.dlq`, keyed by flight id, with the reason in the `error` header and
 * `source_topic`; the value is the work message itself, or a summary when the message is what is too large.
 */
import type { Message, Producer } from "kafkajs";
import { deadLetterTopic } from "../consume/dead_letters.ts";
import type { FlightWork } from "../domain/work.ts";

/** A flight's work (or what is known of it) and why it was not published. */
export interface DeadWork {
  readonly id: string;
  readonly revision: number;
  readonly reason: "too_large" | "unreadable" | "rejected";
  readonly detail: string;
  readonly work?: FlightWork;
  readonly value?: string;
}

/** Sends `dead` to the work topic's dead-letter topic and waits for the acks. */
export async function sendDeadWork(producer: Producer, workTopic: string, dead: readonly DeadWork[]): Promise<void> {
  if (dead.length === 0) return;
  await producer.send({
    topic: deadLetterTopic(workTopic),
    acks: -1,
    messages: dead.map((entry) => toMessage(workTopic, entry)),
  });
}

function toMessage(workTopic: string, entry: DeadWork): Message {
  const summary = () =>
    JSON.stringify({
      id: entry.id,
      revision: entry.revision,
      ...(entry.work ? { arrival_time: entry.work.arrival_time, bag_count: Object.keys(entry.work.bags).length } : {}),
      ...(entry.value ? { value_bytes: entry.value.length } : {}),
    });
  return {
    key: entry.id,
    value: entry.reason === "too_large" || entry.value === undefined ? summary() : entry.value,
    headers: { error: `${entry.reason}: ${entry.detail}`, source_topic: workTopic },
  };
}
