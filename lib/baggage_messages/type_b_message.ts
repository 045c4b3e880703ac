/**
 * IATA RP 1745 baggage messages (BSM, BTM, BPM, BUM) as parseTypeBMessage (parse.ts) returns them, and the error
 * it throws. Plain data, no methods: easy to hand to a Lua script as it is.
 *
 * The flight elements, and what the source indicator of `.V` says about them. `.V` names the airport of the
 * system that receives the message; `.I` is the flight the bag arrives there on (its airport is where that flight
 * comes from), `.F` the flight it leaves on, `.O` the flights after that, in order (their airports are where each
 * goes). So a bag's itinerary as the message sees it is `.I?`, `.F?`, `.O…`, and the source indicator says which
 * of them to expect (parse.ts requires `.F` of a BSM, or `.I` for a terminating bag):
 * - `local` (L): checked in at this airport: it starts here, on `.F` then `.O…`; an `.I` would be unusual.
 * - `transfer` (T): arrives on `.I` and connects here to `.F`, then `.O…`: all of them, in that order.
 * - `terminating` (X): arrives on `.I` and ends here: `.I` only; there is no flight after it.
 * - `remote` (R): checked in away from the airport (city terminal, hotel, cruise ship: `.D`) and leaves on `.F`,
 *   then `.O…`, as a local bag does.
 * Which of these the store keeps (the whole itinerary, or from this airport on) is the consumer's decision.
 */
import { InvalidMessage } from "../infra/errors.ts";

export const MESSAGE_TYPES = ["BSM", "BTM", "BPM", "BUM"] as const;
export type MessageType = typeof MESSAGE_TYPES[number];

/** No CHG or DEL line after the type (or an explicit ADD): an addition. */
export type Action = "add" | "change" | "delete";

/** The source indicators of `.V`: see the module comment for what each means for the itinerary. */
export const SOURCES = { L: "local", T: "transfer", X: "terminating", R: "remote" } as const;
export type Source = typeof SOURCES[keyof typeof SOURCES];

/** `.V/1TLHR/PART1`: data dictionary version, source indicator, the receiving system's airport, the rest raw. */
export interface Version {
  readonly number: number;
  readonly source: Source;
  readonly airport: string;
  /** The fields after the first (part number, message reference, acknowledgement request…), as written. */
  readonly supplementary: readonly string[];
}

/** `.I`, `.F` or `.O`: a flight as written; flight_id.ts makes its id. */
export interface Flight {
  /** Airline code and number as written, zero padding included: `BA0117`. */
  readonly designator: string;
  /** DDMMM as written: `05FEB`. */
  readonly date: string;
  /** `.I`: where the flight comes from; `.F`, `.O`: where it goes. */
  readonly airport: string;
  /** Class of travel of the bag, when given. */
  readonly class?: string;
  /** Its line in the text (1-based), for errors found later. */
  readonly line: number;
}

/** `.P/2SMITH/JOHN/MARY`: the fields as written, and the surname and passenger count read from the first. */
export interface Passenger {
  /** The leading digits of the first field (passengers with this surname), when written. */
  readonly count?: number;
  readonly surname: string;
  readonly fields: readonly string[];
}

/** `.W/K/1/23`: pieces and weight. */
export interface Weight {
  /** K kilograms, L pounds, P pieces only. */
  readonly indicator: "K" | "L" | "P";
  readonly pieces?: number;
  readonly weight?: number;
  readonly uncheckedWeight?: number;
  /** All fields as written (dimensions and bag type codes follow the weights). */
  readonly fields: readonly string[];
}

/** `.J/S/BGFUSION/CI621/05FEB/1059L/LB9/LB9`: processing information (BPM), the fields RP 1745 names. */
export interface Processing {
  /** The secondary code: R reconciliation, S sortation, G ground tracking, H hand scanned… */
  readonly code: string;
  readonly agent?: string;
  readonly scanner?: string;
  /** DDMMM. */
  readonly date?: string;
  /** HHMM or HHMMSS, then L (local) or Z (UTC) or nothing, as written; dates.ts utcInstant reads a Z time. */
  readonly time?: string;
  /** Where the bag was read. */
  readonly location?: string;
  /** Where it was sent to. */
  readonly sentTo?: string;
  readonly fields: readonly string[];
}

/** `.B/OFF` or `.B/UNS/0695463055001`: a baggage status code and, when given, the tags it is about. */
export interface Irregularity {
  readonly code: string;
  readonly tags: readonly string[];
  readonly line: number;
}

/** `.X//CLR///HBS302/HBSLEVEL1`: security screening; instruction and result when given, all fields raw. */
export interface Screening {
  readonly instruction?: string;
  /** CLR cleared, REJ rejected, UCL unclear… */
  readonly result?: string;
  readonly fields: readonly string[];
}

/** An element this parser does not read (`.R`, `.H`, `.T`, any other letter), as written. */
export interface UnknownElement {
  readonly element: string;
  readonly value: string;
  readonly line: number;
}

/** A parsed baggage message. Elements a message does not have are absent (optional) or empty (lists). */
export interface TypeBMessage {
  readonly type: MessageType;
  readonly action: Action;
  readonly version?: Version;
  readonly inbound?: Flight;
  readonly outbound?: Flight;
  readonly onward: readonly Flight[];
  /**
   * Every bag the message is about, in the order written: the consecutive tags of each `.N` expanded, then those
   * of a `.B` (a BPM or BUM may name its bag only there). No tag twice.
   */
  readonly tags: readonly string[];
  readonly passenger?: Passenger;
  /** `.E` codes (RUSH, PRIO, CREW, HEAVY, FRAG, AVIH…), of every `.E` line, in order. */
  readonly exceptions: readonly string[];
  readonly processing?: Processing;
  readonly irregularities: readonly Irregularity[];
  readonly screening?: Screening;
  readonly weight?: Weight;
  /** `.L`: the PNR's record locator. */
  readonly pnr?: string;
  /** `.S` reconciliation data, fields as written (authority to load, seat, passenger status, sequence…). */
  readonly reconciliation?: readonly string[];
  /** `.U` loading data, fields as written (container, compartment, type of baggage…). */
  readonly loading?: readonly string[];
  /** `.D` check-in location details, fields as written. */
  readonly checkIn?: readonly string[];
  readonly unknown: readonly UnknownElement[];
}

/**
 * A baggage message that breaks the format at `line` (1-based, every physical line counted, blank ones too).
 * `reason` (sent as the dead letter's `error` header) reads `line 4: .N tag count "00A" is not a number`;
 * `problem` is the same without the line.
 */
export class BaggageMessageError extends InvalidMessage {
  override name = "BaggageMessageError";
  constructor(readonly line: number, readonly problem: string) {
    super(`line ${line}: ${problem}`);
  }
}
