/**
 * When each message is due (pure): chunk h, whose flights arrive in hour h of the window, is spread
 * evenly over the hour before (flights first, then bags), so every flight's data is sent before it
 * lands. Late bags are due at their first flight's arrival minus 5 minutes and are merged in by due
 * time. Both paces send the same sequence; `realistic` waits for each due time, `max` does not. Both formats too:
 * `bsm` sends schedule messages in place of the flights and BSMs in place of the bags (bsm_dataset.ts).
 */
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight, FlightMessage } from "../../lib/domain/flight.ts";
import type { BaggageMessage, BsmEncoding } from "./bsm_dataset.ts";
import { bagMessage, type DatasetChunk, flightMessage, type GeneratedBag, type GeneratedFlight } from "./dataset.ts";

/** kafkajs groups a send's messages per partition in quadratic time: keep sends to this size. */
export const MAX_MESSAGES_PER_SEND = 1000;
/** A late bag's message is due this long before its first flight arrives. */
export const LATE_SECONDS_BEFORE_ARRIVAL = 300;
/** Late bags due within this many seconds of the first of them go out in one send, when the last is due. */
export const LATE_BATCH_SECONDS = 10;
const HOUR = 3600;

/** One send of `records` to `topic`, due at `due` (Unix seconds), with the chunk its records come from. */
export interface Send<Topic extends string, R> {
  readonly due: number;
  readonly hour: number;
  readonly topic: Topic;
  readonly records: readonly R[];
}

/** A send of the `json` format: flights with their manifests, bags with their itineraries. */
export type ScheduledSend = Send<"flights", Flight> | Send<"bags", Bag>;
/** A send of the `bsm` format: flights without manifests, and BSMs to the baggage-messages topic. */
export type ScheduledBsmSend = Send<"flights", FlightMessage> | Send<"baggageMessages", BaggageMessage>;

interface LateBag<B> {
  readonly due: number;
  readonly hour: number;
  readonly bag: B;
}

/** Turns the chunks (in hour order) into the sequence of sends, lazily; `startSeconds` is the window's start. */
export function scheduleSends(
  chunks: Iterable<DatasetChunk>,
  startSeconds: number,
  maxPerSend = MAX_MESSAGES_PER_SEND,
): Generator<ScheduledSend> {
  return plan(chunks, startSeconds, maxPerSend, flightMessage, bagMessage);
}

/**
 * The sequence in the `bsm` format: spread and ordered the same way, with the flights as schedules and the bags as
 * BSMs (`encoding`), less the empty bags, which have no BSM.
 */
export function* scheduleBsmSends(
  chunks: Iterable<DatasetChunk>,
  startSeconds: number,
  encoding: BsmEncoding,
  maxPerSend = MAX_MESSAGES_PER_SEND,
): Generator<ScheduledBsmSend> {
  for (const send of plan(chunks, startSeconds, maxPerSend, encoding.flight, encoding.bag)) {
    yield send.topic === "flights" ? send : { ...send, topic: "baggageMessages" };
  }
}

function* plan<F, B>(
  chunks: Iterable<DatasetChunk>,
  startSeconds: number,
  maxPerSend: number,
  flightRecord: (flight: GeneratedFlight) => F,
  bagRecord: (bag: GeneratedBag) => B | null,
): Generator<Send<"flights", F> | Send<"bags", B>> {
  let late: LateBag<B>[] = [];
  let lastDue = -Infinity;

  // Yields the late bags due by `upTo`, in sends of at most maxPerSend bags due within LATE_BATCH_SECONDS
  // of each other, each send due when its last bag is.
  function* flushLate(upTo: number): Generator<Send<"bags", B>> {
    let taken = 0;
    while (taken < late.length && late[taken]!.due <= upTo) {
      const limit = Math.min(upTo, late[taken]!.due + LATE_BATCH_SECONDS);
      let end = taken + 1;
      while (end < late.length && end - taken < maxPerSend && late[end]!.due <= limit) end++;
      const group = late.slice(taken, end);
      taken = end;
      const last = group[group.length - 1]!;
      lastDue = Math.max(lastDue, last.due);
      yield { due: lastDue, hour: last.hour, topic: "bags", records: group.map((item) => item.bag) };
    }
    if (taken > 0) late = late.slice(taken);
  }

  for (const chunk of chunks) {
    const windowStart = startSeconds + (chunk.hour - 1) * HOUR;
    const flights = chunk.flights.map(flightRecord);
    const bags: B[] = [];
    const chunkLate: LateBag<B>[] = [];
    for (const bag of chunk.bags) {
      const message = bagRecord(bag);
      if (message === null) continue;
      if (bag.kind === "late") {
        chunkLate.push({ due: bag.firstArrival - LATE_SECONDS_BEFORE_ARRIVAL, hour: chunk.hour, bag: message });
      } else {
        bags.push(message);
      }
    }
    const flightSends = Math.ceil(flights.length / maxPerSend);
    const total = flightSends + Math.ceil(bags.length / maxPerSend);
    const dueOf = (index: number) => Math.max(lastDue, windowStart + (HOUR * index) / total);

    for (let index = 0; index < flightSends; index++) {
      const due = dueOf(index);
      yield* flushLate(due);
      lastDue = due;
      const records = flights.slice(index * maxPerSend, (index + 1) * maxPerSend);
      yield { due, hour: chunk.hour, topic: "flights", records };
    }
    // Added only now, so that a late bag never goes out before its first flight (which is in this chunk).
    // Chunk h's late bags are due before chunk h+1's, so appending keeps the queue sorted.
    late.push(...chunkLate.sort((a, b) => a.due - b.due));
    for (let index = flightSends; index < total; index++) {
      const due = dueOf(index);
      yield* flushLate(due);
      lastDue = due;
      const offset = (index - flightSends) * maxPerSend;
      yield { due, hour: chunk.hour, topic: "bags", records: bags.slice(offset, offset + maxPerSend) };
    }
  }
  yield* flushLate(Infinity);
}
