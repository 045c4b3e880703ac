/** The real-flight id rule (flight_id.ts) and the year of a day-month date (dates.ts). */
import assert from "node:assert/strict";
import { utcInstant } from "../../../lib/baggage_messages/dates.ts";
import { flightId, flightIdOf, flightsInOrder, itineraryIds } from "../../../lib/baggage_messages/flight_id.ts";
import { parseTypeBMessage } from "../../../lib/baggage_messages/parse.ts";
import { BaggageMessageError } from "../../../lib/baggage_messages/type_b_message.ts";
import { ID_PATTERN } from "../../../lib/domain/validation.ts";
import { InvalidMessage } from "../../../lib/infra/errors.ts";

const at = (iso: string) => new Date(iso);

Deno.test("flightId is the flight as written, a dash and the ISO date in the message's year", () => {
  assert.equal(flightId("BA0282", "05FEB", at("2026-02-04T12:00:00Z")), "BA0282-2026-02-05");
  // Zero padding, or none, and a suffix stay as written: two spellings are two ids.
  assert.equal(flightId("BA282", "05FEB", at("2026-02-04T12:00:00Z")), "BA282-2026-02-05");
  assert.equal(flightId("U2123A", "10OCT", at("2026-10-09T23:00:00Z")), "U2123A-2026-10-10");
  assert.match(flightId("9W0001", "31DEC", at("2026-12-30T00:00:00Z")), ID_PATTERN);
});

Deno.test("flightId takes last year's 31DEC for a message of 1 January, next year's 01JAN for one of 31 December", () => {
  assert.equal(flightId("BA0282", "31DEC", at("2027-01-01T00:30:00Z")), "BA0282-2026-12-31");
  assert.equal(flightId("BA0282", "01JAN", at("2026-12-31T23:10:00Z")), "BA0282-2027-01-01");
  assert.equal(flightId("BA0282", "31DEC", at("2026-12-31T23:10:00Z")), "BA0282-2026-12-31");
  assert.equal(flightId("BA0282", "01JAN", at("2027-01-01T00:30:00Z")), "BA0282-2027-01-01");
});

Deno.test("flightId takes the nearer side of a date half a year away, and the earlier on an exact tie", () => {
  assert.equal(flightId("BA0282", "05FEB", at("2026-08-06T00:00:00Z")), "BA0282-2026-02-05");
  assert.equal(flightId("BA0282", "05FEB", at("2026-08-08T00:00:00Z")), "BA0282-2027-02-05");
  // 2026-07-03T00:00Z is exactly half-way between the noons of 1 January 2026 and 2027.
  assert.equal(flightId("BA0282", "01JAN", at("2026-07-03T00:00:00Z")), "BA0282-2026-01-01");
  assert.equal(flightId("BA0282", "01JAN", at("2026-07-03T00:00:01Z")), "BA0282-2027-01-01");
});

Deno.test("flightId puts 29FEB in the nearest leap year among the three, and refuses it when there is none", () => {
  assert.equal(flightId("BA0282", "29FEB", at("2028-02-28T08:00:00Z")), "BA0282-2028-02-29");
  assert.equal(flightId("BA0282", "29FEB", at("2029-01-15T08:00:00Z")), "BA0282-2028-02-29");
  assert.equal(flightId("BA0282", "29FEB", at("2027-03-01T08:00:00Z")), "BA0282-2028-02-29");
  assert.throws(
    () => flightId("BA0282", "29FEB", at("2026-03-01T08:00:00Z")),
    new InvalidMessage(`BA0282 date "29FEB": none of the years next to the message's (2026) is a leap year`),
  );
  // 2100 is not a leap year (a century not divisible by 400), 2000 was.
  assert.throws(() => flightId("BA0282", "29FEB", at("2100-06-01T00:00:00Z")), InvalidMessage);
  assert.equal(flightId("BA0282", "29FEB", at("2001-01-01T00:00:00Z")), "BA0282-2000-02-29");
});

Deno.test("flightId refuses a designator or a date the elements would refuse", () => {
  const time = at("2026-02-04T12:00:00Z");
  assert.throws(
    () => flightId("BA:0282", "05FEB", time),
    new InvalidMessage(`flight "BA:0282" is not an airline code and a number`),
  );
  assert.throws(() => flightId("BA0282", "30FEB", time), new InvalidMessage(`BA0282 date "30FEB": FEB has no day 30`));
  assert.throws(() => flightId("BA0282", "2026-02-05", time), InvalidMessage);
  assert.throws(
    () => flightId("BA0282", "05FEB", new Date(Number.NaN)),
    new RangeError("messageTime is an invalid Date"),
  );
});

Deno.test("itineraryIds lists inbound, outbound and onward flights in order; flightIdOf names a 29FEB's line", () => {
  const message = parseTypeBMessage([
    "BSM",
    ".V/1TLHR",
    ".O/AA0123/01JAN/SFO",
    ".F/BA0282/31DEC/LAX/Y",
    ".I/BA0117/31DEC/JFK/Y",
    ".O/AS0456/29FEB/SEA",
    ".N/0125728359001",
    "ENDBSM",
  ].join("\n"));
  assert.deepEqual(flightsInOrder(message).map((flight) => flight.designator), [
    "BA0117",
    "BA0282",
    "AA0123",
    "AS0456",
  ]);
  const ids = itineraryIds(message, at("2027-12-31T20:00:00Z"));
  assert.deepEqual(ids, ["BA0117-2027-12-31", "BA0282-2027-12-31", "AA0123-2028-01-01", "AS0456-2028-02-29"]);
  for (const id of ids) assert.match(id, ID_PATTERN);
  assert.throws(
    () => itineraryIds(message, at("2026-12-31T20:00:00Z")),
    new BaggageMessageError(6, `AS0456 date "29FEB": none of the years next to the message's (2026) is a leap year`),
  );
  assert.equal(flightIdOf(message.outbound!, at("2027-01-01T00:00:00Z")), "BA0282-2026-12-31");
});

Deno.test("utcInstant reads a .J date and UTC time, in the year nearest to the message, and no local time", () => {
  assert.equal(utcInstant("05FEB", "1059Z", at("2026-02-05T11:00:00Z")), "2026-02-05T10:59:00.000Z");
  assert.equal(utcInstant("31DEC", "235959Z", at("2027-01-01T00:00:05Z")), "2026-12-31T23:59:59.000Z");
  assert.equal(utcInstant("05FEB", "1059L", at("2026-02-05T11:00:00Z")), undefined);
  assert.equal(utcInstant("05FEB", "1059", at("2026-02-05T11:00:00Z")), undefined);
  assert.equal(utcInstant(undefined, "1059Z", at("2026-02-05T11:00:00Z")), undefined);
  assert.equal(utcInstant("05FEB", "2599Z", at("2026-02-05T11:00:00Z")), undefined);
});
