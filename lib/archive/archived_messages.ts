/**
 * What the archiver keeps of each message it reads: the parsed flight, bag, work revision or dead letter
 * with the Kafka time that brought it. A message the input consumers rejected is not a version of
 * anything: it is archived from the dead-letter topic, with its reason, and skipped here.
 */
import { type BaggageRecord, baggageRecord } from "../ingest/baggage_records.ts";
import type { KafkaMessage } from "kafkajs";
import { type Bag, parseBag } from "../domain/bag.ts";
import { type FlightMessage, parseFlight } from "../domain/flight.ts";
import { InvalidMessage, type MessageLimits } from "../domain/validation.ts";
import { type FlightWork, parseFlightWork } from "../domain/work.ts";

/** The topics the archiver reads, by what their messages are. */
export type ArchivedKind = "flight" | "bag" | "baggage-message" | "work" | "dead-letter";

/** A dead-letter topic's message: why it was rejected and where it came from. */
export interface DeadLetter {
  readonly reason: string;
  readonly sourceTopic: string | null;
  readonly sourcePartition: number | null;
  readonly sourceOffset: string | null;
  readonly key: string | null;
  readonly value: Uint8Array | null;
}

/** What a message is to the archive, with its Kafka time in ms. */
export type ArchivedMessage =
  | { readonly kind: "flight"; readonly at: number; readonly flight: FlightMessage }
  | { readonly kind: "bag"; readonly at: number; readonly bag: Bag }
  | { readonly kind: "baggage-message"; readonly at: number; readonly message: BaggageRecord }
  | { readonly kind: "work"; readonly at: number; readonly work: FlightWork }
  | { readonly kind: "dead-letter"; readonly at: number; readonly deadLetter: DeadLetter }
  | { readonly kind: "skipped"; readonly reason: string };

/** PostgreSQL's text cannot hold NUL; a hostile key or header keeps everything else. */
const pgText = (value: Buffer | string | undefined | null) =>
  value === undefined || value === null ? null : value.toString().replaceAll("\u0000", "\uFFFD");

const header = (message: KafkaMessage, name: string) => {
  const value = message.headers?.[name];
  return pgText(Array.isArray(value) ? value[0] : value);
};

const integerOrNull = (text: string | null) => (text !== null && /^\d{1,19}$/.test(text) ? text : null);

/** Reads `message` of a topic of `kind` as the archive keeps it; never throws on bad input. */
export function archivedMessage(kind: ArchivedKind, message: KafkaMessage, limits: MessageLimits): ArchivedMessage {
  const at = Number(message.timestamp);
  const value = message.value === null ? null : new Uint8Array(message.value);
  try {
    switch (kind) {
      case "flight":
        // Validated against the time it was sent, as the flight consumer validated it when it arrived.
        return { kind, at, flight: parseFlight(value, limits, Math.floor(at / 1000)) };
      case "bag":
        return { kind, at, bag: parseBag(value, limits) };
      case "baggage-message":
        return { kind, at, message: baggageRecord(value, at / 1000, limits) };
      case "work":
        return { kind, at, work: parseFlightWork(value, limits) };
      case "dead-letter": {
        const partition = integerOrNull(header(message, "source_partition"));
        return {
          kind,
          at,
          deadLetter: {
            reason: header(message, "error") ?? "(no error header)",
            sourceTopic: header(message, "source_topic"),
            sourcePartition: partition === null || Number(partition) > 2_147_483_647 ? null : Number(partition),
            sourceOffset: integerOrNull(header(message, "source_offset")),
            key: pgText(message.key),
            value,
          },
        };
      }
    }
  } catch (error) {
    if (error instanceof InvalidMessage) return { kind: "skipped", reason: error.reason };
    throw error;
  }
}
