/**
 * A seeded archive of `bags` bags over HISTORY_DAYS days, as COPY text, generated in chunks so that nothing but
 * the chunk in hand is in memory: each bag (`BAG_<uuid>`) has 1-2 itinerary versions of 1-3 flights
 * (`FL_<uuid>`, about 300 bags a flight), 1-2 work rows of its first flight, and its archive_days rows (a quarter
 * of the bags have their work on the next day). A bag's id and shape follow from the seed and its index alone,
 * so a lookup can pick a bag and know what its history holds without keeping anything.
 */
import { isoDay } from "../../lib/archive/partitions.ts";

/** The retention's days (ARCHIVE_RETENTION_DAYS' default) the bags are spread over, in order. */
export const HISTORY_DAYS = 400;
const BAGS_PER_FLIGHT = 300;
const DAY_SECONDS = 86_400;
/** Kafka partitions the seeded rows claim to come from. */
const SOURCE_PARTITIONS = 6;

/** A 32-bit integer hash (a bijection: distinct inputs give distinct outputs). */
function mix(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const hex32 = (x: number) => HEX[x >>> 24]! + HEX[(x >>> 16) & 255]! + HEX[(x >>> 8) & 255]! + HEX[x & 255]!;

/** A version-4 UUID of `n` under `key`: its first 32 bits are mix(n ^ key), so distinct `n` give distinct UUIDs. */
function uuid(key: number, n: number): string {
  const a = mix(n ^ key);
  const b = mix(a + 0x9e3779b9);
  const c = mix(b ^ 0x85ebca6b);
  const d = mix(c + n);
  const hb = hex32(b);
  const hc = hex32(c);
  return `${hex32(a)}-${hb.slice(0, 4)}-4${hb.slice(5)}-${"89ab"[c >>> 30]}${hc.slice(1, 4)}-${hc.slice(4)}${hex32(d)}`;
}

/** A bag of the seeded archive: what its history must hold. */
export interface SeededBag {
  readonly index: number;
  readonly id: string;
  /** 0 to HISTORY_DAYS - 1: the day of its itineraries. */
  readonly dayIndex: number;
  /** Seconds into that day of its first itinerary. */
  readonly second: number;
  /** Flight ids of each itinerary version. */
  readonly versions: readonly (readonly string[])[];
  readonly workRows: number;
  /** Whether its work is on the next day (never past the last day). */
  readonly workNextDay: boolean;
}

/** The shape of the seeded archive. */
export class SeededArchive {
  private readonly bagKey: number;
  private readonly flightKey: number;
  private readonly shapeKey: number;
  private readonly flightsPerDay: number;

  constructor(readonly seed: number, readonly bags: number) {
    this.bagKey = mix(seed ^ 0xb0a9);
    this.flightKey = mix(seed ^ 0xf117);
    this.shapeKey = mix(seed ^ 0x5a9e);
    this.flightsPerDay = Math.max(1, Math.ceil(bags / HISTORY_DAYS / BAGS_PER_FLIGHT));
  }

  /** The first bag index of day `dayIndex`. */
  firstOfDay(dayIndex: number): number {
    return Math.ceil((dayIndex * this.bags) / HISTORY_DAYS);
  }

  bag(index: number): SeededBag {
    const dayIndex = Math.floor((index * HISTORY_DAYS) / this.bags);
    const first = this.firstOfDay(dayIndex);
    const second = Math.floor(((index - first) * DAY_SECONDS) / Math.max(1, this.firstOfDay(dayIndex + 1) - first));
    const shape = mix(index ^ this.shapeKey);
    const flight = (k: number) =>
      `FL_${uuid(this.flightKey, dayIndex * this.flightsPerDay + (k % this.flightsPerDay))}`;
    const legs = Array.from({ length: 1 + ((shape >>> 4) % 3) }, (_, k) => flight((shape >>> 8) + k * 7));
    const versions = (shape & 1) === 0 ? [legs] : [legs, [flight(shape >>> 16), ...legs.slice(1)]];
    return {
      index,
      id: `BAG_${uuid(this.bagKey, index)}`,
      dayIndex,
      second,
      versions,
      workRows: 1 + ((shape >>> 1) & 1),
      workNextDay: ((shape >>> 2) & 3) === 0 && dayIndex < HISTORY_DAYS - 1,
    };
  }
}

const PAD = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));

/** COPY text of timestamptz from Unix seconds, each day's date built once. */
class Timestamps {
  private readonly days = new Map<number, string>();

  text(epoch: number): string {
    const day = Math.floor(epoch / DAY_SECONDS);
    let date = this.days.get(day);
    if (date === undefined) this.days.set(day, date = isoDay(day));
    const rest = epoch - day * DAY_SECONDS;
    return `${date} ${PAD[Math.floor(rest / 3600)]}:${PAD[Math.floor(rest / 60) % 60]}:${PAD[rest % 60]}+00`;
  }

  date(day: number): string {
    return this.text(day * DAY_SECONDS).slice(0, 10);
  }
}

/** The COPY columns of each seeded table, in the order the text has them. */
export const SEEDED_COLUMNS = {
  bag_itineraries: "bag_id, flights, kafka_time, kafka_partition, kafka_offset",
  work_revisions: "flight_id, bag_id, revision, arrival_at, arrival_time, departure_time, next_flight_id, removed, " +
    "scanned_at, kafka_time, kafka_partition, kafka_offset",
  archive_days: "kind, id, day",
} as const;
export type SeededTable = keyof typeof SEEDED_COLUMNS;

/** One chunk of bags as COPY text per table, with its rows. */
export interface SeedChunk {
  readonly text: Record<SeededTable, string>;
  readonly rows: Record<SeededTable, number>;
}

/** The archive's rows, `chunkBags` bags at a time, in day order (so COPY routes each run of rows to one partition). */
export function* seedChunks(archive: SeededArchive, firstDay: number, chunkBags: number): Generator<SeedChunk> {
  const time = new Timestamps();
  for (let start = 0; start < archive.bags; start += chunkBags) {
    const itineraries: string[] = [];
    const work: string[] = [];
    const days: string[] = [];
    for (let index = start; index < Math.min(archive.bags, start + chunkBags); index++) {
      const bag = archive.bag(index);
      const day = firstDay + bag.dayIndex;
      const partition = index % SOURCE_PARTITIONS;
      const offset = Math.floor(index / SOURCE_PARTITIONS) * 4;
      const at = day * DAY_SECONDS + bag.second;
      bag.versions.forEach((flights, k) => {
        const kafkaTime = time.text(Math.min(at + k * 60, (day + 1) * DAY_SECONDS - 1));
        itineraries.push(`${bag.id}\t{${flights.join(",")}}\t${kafkaTime}\t${partition}\t${offset + k}\n`);
      });
      const workDay = day + (bag.workNextDay ? 1 : 0);
      const arrival = workDay * DAY_SECONDS + ((bag.second + 7_200) % DAY_SECONDS);
      const legs = bag.versions[0]!;
      for (let k = 0; k < bag.workRows; k++) {
        const scanned = arrival - 600 + k * 60;
        work.push(
          `${legs[0]}\t${bag.id}\t${k + 1}\t${time.text(arrival)}\t${arrival}\t${arrival + 3_600}\t${
            legs[1] ?? "\\N"
          }\tf\t` +
            `${scanned}\t${time.text(scanned)}\t${partition}\t${offset + 2 + k}\n`,
        );
      }
      days.push(`bag\t${bag.id}\t${time.date(day)}\n`);
      if (workDay !== day) days.push(`bag\t${bag.id}\t${time.date(workDay)}\n`);
    }
    yield {
      text: { bag_itineraries: itineraries.join(""), work_revisions: work.join(""), archive_days: days.join("") },
      rows: { bag_itineraries: itineraries.length, work_revisions: work.length, archive_days: days.length },
    };
  }
}
