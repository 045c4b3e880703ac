/**
 * The text of an IATA RP 1745 baggage source message (BSM), pure: the elements this project's producer and
 * benchmark send, one a line, joined by "\n" (no trailing newline):
 *
 *     BSM
 *     .V/1TLHR                      baggage source (L local, T transfer, X terminating) and this airport
 *     .I/BA0282/05FEB/JFK/Y         inbound flight: designator, date (DDMMM), origin, class
 *     .F/LH0901/05FEB/FRA/Y         outbound flight: designator, date, destination, class
 *     .O/LH0400/06FEB/ORD/Y         onward flights, one line each
 *     .N/0125000000001              tag number and the count of consecutive tags (always 001)
 *     .P/SMITH/JOHN                 passenger: surname, given name
 *     ENDBSM
 */

/** A flight element: `BA0282`, the UTC date of its departure (`YYYY-MM-DD`), the airport at its other end. */
export interface BsmFlight {
  readonly designator: string;
  readonly date: string;
  readonly airport: string;
}

/** A passenger's name, as passengerName() leaves it: uppercase ASCII letters only. */
export interface Passenger {
  readonly surname: string;
  readonly given: string;
}

/** Everything one BSM says. */
export interface BsmInput {
  /** The 10-digit tag number. */
  readonly tag: string;
  /** Baggage source indicator of `.V`: L local, T transfer, X terminating. */
  readonly source: "L" | "T" | "X";
  /** The airport the message is for (`.V`). */
  readonly airport: string;
  readonly inbound?: BsmFlight;
  readonly outbound?: BsmFlight;
  readonly onward: readonly BsmFlight[];
  readonly passenger: Passenger;
}

/** Every bag of these messages travels in economy. */
const CLASS = "Y";
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const NAME_LENGTH = 20;

/** The BSM's text, lines joined by "\n": .V, then .I, .F, .O when given, .N, .P. */
export function renderBsm(bsm: BsmInput): string {
  const lines = ["BSM", `.V/1${bsm.source}${bsm.airport}`];
  if (bsm.inbound) lines.push(flightElement("I", bsm.inbound));
  if (bsm.outbound) lines.push(flightElement("F", bsm.outbound));
  for (const flight of bsm.onward) lines.push(flightElement("O", flight));
  lines.push(`.N/${bsm.tag}001`, `.P/${bsm.passenger.surname}/${bsm.passenger.given}`, "ENDBSM");
  return lines.join("\n");
}

/** The date element of an ISO date: `2026-02-05` → `05FEB`. */
export function bsmDate(isoDate: string): string {
  const month = MONTHS[Number(isoDate.slice(5, 7)) - 1];
  if (month === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(isoDate)) throw new RangeError(`not an ISO date: ${isoDate}`);
  return `${isoDate.slice(8, 10)}${month}`;
}

/** A name as a BSM carries it: accents dropped, uppercase ASCII letters only, at most 20; `X` when none is left. */
export function passengerName(name: string): string {
  const letters = name.normalize("NFD").toUpperCase().replace(/[^A-Z]/g, "");
  return letters.slice(0, NAME_LENGTH) || "X";
}

function flightElement(element: "I" | "F" | "O", flight: BsmFlight): string {
  return `.${element}/${flight.designator}/${bsmDate(flight.date)}/${flight.airport}/${CLASS}`;
}
