/** Parsing a chunk of one partition's Kafka messages into the valid records and the invalid messages. */
import type { KafkaMessage } from "kafkajs";
import { orderStamp } from "../domain/order_stamp.ts";
import { InvalidMessage } from "../infra/errors.ts";
import type { Parsed } from "./partition_store.ts";

/** A message that broke the contract, with the reason for its dead letter. */
export interface InvalidInput {
  readonly message: KafkaMessage;
  readonly reason: string;
}

/**
 * Parses each message of `chunk` with `parse`; a message sent without a key gets an order stamp (see
 * domain/order_stamp.ts). InvalidMessage marks a message invalid; any other error is a bug and is thrown.
 */
export function parseChunk<T>(
  chunk: readonly KafkaMessage[],
  partition: number,
  parse: (message: KafkaMessage) => T,
): { valid: Parsed<T>[]; invalid: InvalidInput[] } {
  const valid: Parsed<T>[] = [];
  const invalid: InvalidInput[] = [];
  for (const message of chunk) {
    try {
      const record = parse(message);
      valid.push(
        message.key === null
          ? { offset: message.offset, record, stamp: orderStamp(message.timestamp, partition, message.offset) }
          : { offset: message.offset, record },
      );
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      invalid.push({ message, reason: error.reason });
    }
  }
  return { valid, invalid };
}
