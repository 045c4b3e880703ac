/**
 * Hostile messages for the fuzz test, each with the outcome the consumers must give it: stored (and
 * what Redis must then hold) or dead-lettered. Seeded, so a failure reproduces.
 */
import { seededRandom } from "../../tools/seeded_random.ts";

/** A message to produce, keyed by a unique `key` so the test can find it in Redis or the dead-letter topic. */
export interface HostileMessage {
  readonly key: string;
  readonly value: string | Uint8Array;
  /** The id stored when the message is valid; undefined when it must be dead-lettered. */
  readonly storesId?: string;
  /** The list stored (a flight's bags, a bag's flights) when it is not the message's: its repeats are dropped. */
  readonly storesList?: readonly string[];
}

const BAD_IDS = [
  "FL:1",
  "FL{1}",
  "{flight}",
  "FL 1",
  "FL\u0000X",
  "FL\nX",
  "FL\tX",
  "x".repeat(10_000),
  "",
  "FL/../x",
  "FL*",
  "ÉCLAIR",
];

type Flight = Record<string, unknown>;

/** `count` hostile flight messages; `now` bounds valid timestamps. */
export function hostileFlights(count: number, now: number, seed = 7): HostileMessage[] {
  const rand = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  const messages: HostileMessage[] = [];
  for (let i = 0; i < count; i++) {
    const key = `fuzz-flight-${i}`;
    const id = `FL_${i}`;
    const good: Flight = { id, departure_time: now + 60, arrival_time: now + 3660.5, bags: [`BAG_${i}`] };
    const kind = i % 20;
    let value: string | Uint8Array;
    let storesId: string | undefined;
    let storesList: string[] | undefined;
    switch (kind) {
      case 0:
        value = "{" + "x".repeat(Math.floor(rand() * 50));
        break; // invalid JSON
      case 1:
        value = JSON.stringify({ ...good, id: pick(BAD_IDS) });
        break;
      case 2:
        value = JSON.stringify({ ...good, departure_time: pick(["now", null, true, [], {}, -1, 0, 1e3]) });
        break;
      case 3:
        value = JSON.stringify({ ...good, arrival_time: now + 400 * 24 * 3600 });
        break; // far future
      case 4:
        value = JSON.stringify({ ...good, arrival_time: now });
        break; // arrival before departure
      case 5: {
        // `bags` may be left out (a schedule feed); the times may not.
        const { arrival_time: _arrival, ...rest } = good;
        value = JSON.stringify(rest);
        break;
      } // missing field
      case 6: // a repeated bag: dropped, the rest of the flight stored
        value = JSON.stringify({ ...good, bags: [`BAG_${i}`, `BAG_${i}`] });
        storesId = id;
        storesList = [`BAG_${i}`];
        break;
      case 7:
        value = JSON.stringify({ ...good, bags: Array.from({ length: 6_000 }, (_, b) => `B${b}`) });
        break; // over MAX_BAGS_PER_FLIGHT
      case 8:
        value = new Uint8Array(Array.from({ length: 64 }, () => Math.floor(rand() * 256)));
        break; // binary garbage
      case 9:
        value = "";
        break; // empty
      case 10:
        value = JSON.stringify({ ...good, bags: [pick(BAD_IDS)] });
        break; // key injection through a bag id
      case 11:
        value = JSON.stringify([good]);
        break; // not an object
      case 12:
        value = "null";
        break;
      case 13:
        value = JSON.stringify({ ...good, bags: "BAG_1" });
        break;
      case 14:
        value = new TextEncoder().encode(`{"id":"${id}","x":"\xff`).map((b) => (b === 0xc3 ? 0xff : b));
        break; // invalid UTF-8
      default:
        // Valid but unusual: ids with dots and dashes, float times, extra fields, empty manifests.
        value = JSON.stringify({
          ...good,
          id: `fl.${i}-x_Y`,
          bags: kind % 2 ? [] : [`b.${i}-1`],
          extra: { nested: true },
        });
        storesId = `fl.${i}-x_Y`;
    }
    messages.push({ key, value, ...(storesId ? { storesId } : {}), ...(storesList ? { storesList } : {}) });
  }
  return messages;
}

/** `count` hostile bag messages. */
export function hostileBags(count: number, seed = 11): HostileMessage[] {
  const rand = seededRandom(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(rand() * items.length)]!;
  const messages: HostileMessage[] = [];
  for (let i = 0; i < count; i++) {
    const key = `fuzz-bag-${i}`;
    const id = `BAG_${i}`;
    const kind = i % 10;
    let value: string | Uint8Array;
    let storesId: string | undefined;
    let storesList: string[] | undefined;
    switch (kind) {
      case 0: // an itinerary of 10,000 flights (every 50th message, to keep the topic small), or of a wrong type
        value = JSON.stringify({
          id,
          flights: i % 50 === 0 ? Array.from({ length: 10_000 }, (_, f) => `F${f}`) : "FL_1",
        });
        break;
      case 1:
        value = JSON.stringify({ id: pick(BAD_IDS), flights: [] });
        break;
      case 2: // a flight repeated in a row is dropped; repeated apart, what follows it is ambiguous: dead-lettered
        if (i % 20 === 2) {
          value = JSON.stringify({ id, flights: ["FL_1", "FL_1", "FL_2"] });
          storesId = id;
          storesList = ["FL_1", "FL_2"];
        } else value = JSON.stringify({ id, flights: ["FL_1", "FL_2", "FL_1"] });
        break;
      case 3:
        value = JSON.stringify({ id, flights: [pick(BAD_IDS)] });
        break;
      case 4:
        value = JSON.stringify({ id, flights: [1, 2] });
        break;
      case 5:
        value = JSON.stringify({ id });
        break;
      case 6:
        value = new Uint8Array([0xff, 0xfe, 0xfd]);
        break;
      case 7: // a huge message over MAX_MESSAGE_BYTES (every 100th), or a null itinerary
        value = JSON.stringify({
          id,
          flights: i % 100 === 7 ? ["FL_1"] : null,
          padding: i % 100 === 7 ? "p".repeat(600_000) : "",
        });
        break;
      default:
        value = JSON.stringify({ id, flights: kind === 8 ? [] : ["FL_1", "FL_2"] });
        storesId = id;
    }
    messages.push({ key, value, ...(storesId ? { storesId } : {}), ...(storesList ? { storesList } : {}) });
  }
  return messages;
}
