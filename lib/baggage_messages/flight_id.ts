/**
 * The id of a real flight (a contract): the flight exactly as the element writes it (carrier and number, zero
 * padding included), a `-`, and its ISO date, the year from dates.ts nearestDate: the one that puts the element's
 * day and month nearest to the message's time (UTC). `BA0282` on `05FEB` in a message of 4 February 2026 is
 * `BA0282-2026-02-05`; `31DEC` in a message of 1 January 2027 is `…-2026-12-31`.
 */
import { InvalidMessage } from "../infra/errors.ts";
import { type CalendarDate, isoDate, nearestDate, readDayMonth } from "./dates.ts";
import { isDesignator } from "./elements.ts";
import { BaggageMessageError, type Flight, type TypeBMessage } from "./type_b_message.ts";

/** `BA0282-2026-02-05`; throws InvalidMessage for a designator or date the elements refuse, or a 29FEB no year near has. */
export function flightId(designator: string, date: string, messageTime: Date): string {
  if (!isDesignator(designator)) throw new InvalidMessage(`flight "${designator}" is not an airline code and a number`);
  const calendar = calendarDate(date, messageTime);
  if (typeof calendar === "string") throw new InvalidMessage(`${designator} ${calendar}`);
  return idOf(designator, calendar);
}

/** The id of a parsed flight; a date no year near the message has (29FEB) throws BaggageMessageError at its line. */
export function flightIdOf(flight: Flight, messageTime: Date): string {
  const calendar = calendarDate(flight.date, messageTime);
  if (typeof calendar === "string") throw new BaggageMessageError(flight.line, `${flight.designator} ${calendar}`);
  return idOf(flight.designator, calendar);
}

/**
 * The flights a message lists, in travel order: inbound (`.I`), outbound (`.F`), then the onward ones (`.O`), those it
 * has. What the source indicator says about them: type_b_message.ts.
 */
export function flightsInOrder(message: TypeBMessage): Flight[] {
  const flights: Flight[] = [];
  if (message.inbound !== undefined) flights.push(message.inbound);
  if (message.outbound !== undefined) flights.push(message.outbound);
  for (const flight of message.onward) flights.push(flight);
  return flights;
}

/** The ids of flightsInOrder. */
export const itineraryIds = (message: TypeBMessage, messageTime: Date): string[] =>
  flightsInOrder(message).map((flight) => flightIdOf(flight, messageTime));

/** The date DDMMM in the year nearest to the message, or why there is none. */
function calendarDate(date: string, messageTime: Date): CalendarDate | string {
  // A caller's bug, not a bad message: no dead letter for it.
  if (Number.isNaN(messageTime.getTime())) throw new RangeError("messageTime is an invalid Date");
  const dayMonth = readDayMonth(date);
  if (typeof dayMonth === "string") return dayMonth;
  const calendar = nearestDate(dayMonth.day, dayMonth.month, messageTime);
  if (calendar !== undefined) return calendar;
  return `date "${date}": none of the years next to the message's (${messageTime.getUTCFullYear()}) is a leap year`;
}

/** Matches ID_PATTERN (validation.ts) by construction: a checked designator (at most 7 letters and digits), a date. */
const idOf = (designator: string, date: CalendarDate) => `${designator}-${isoDate(date)}`;
