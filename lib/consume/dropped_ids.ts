/** Counting and logging the repeated ids the flight and bag parsers drop from a message (see domain/validation.ts). */
import type { KafkaMessage } from "kafkajs";
import type { ConsumerMetrics } from "./consumer_metrics.ts";
import type { Logger } from "../infra/log.ts";

/** For `message`, the callback a parser calls with the field and the ids it dropped: one count and one log line. */
export function droppedIdsReporter(topic: string, metrics: ConsumerMetrics, logger: Logger) {
  return (message: KafkaMessage) => (field: string, dropped: readonly string[]) => {
    metrics.duplicateIdsDropped.inc({ topic }, dropped.length);
    logger.info(
      {
        topic,
        offset: message.offset,
        key: message.key?.toString(),
        field,
        dropped: dropped.length,
        ids: dropped.slice(0, 10),
      },
      "repeated ids dropped from a message",
    );
  };
}
