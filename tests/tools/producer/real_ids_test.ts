import assert from "node:assert/strict";
import { type DatasetOptions, scheduledFlights } from "../../../tools/producer/dataset.ts";
import { isoDate, MAX_TAGS, realFlightIds, tagNumber } from "../../../tools/producer/real_ids.ts";

const DEC_2 = Date.UTC(2026, 11, 2) / 1000;
const DAY = 24 * 3600;
const OPTIONS: DatasetOptions = {
  seed: 5,
  startSeconds: DEC_2 + 3600,
  hours: 24,
  flightsPerHour: 1000,
  bagsPerHour: 0,
  minConnectionMinutes: 45,
  maxConnectionMinutes: 360,
  lateRate: 0,
  missingRate: 0,
  emptyRate: 0,
};

const flight = (id: string, flightNumber: string, departure_time: number) => ({ id, flightNumber, departure_time });

Deno.test("realFlightIds() gives each flight its number, a dash and the UTC date of its departure", () => {
  const ids = realFlightIds([
    flight("FL_1", "BA0282", DEC_2 + 10 * 3600),
    flight("FL_2", "5J0007", DEC_2 + DAY - 1),
    flight("FL_3", "LH9999", DEC_2 + DAY),
  ]);

  assert.deepEqual(
    ids,
    new Map([["FL_1", "BA0282-2026-12-02"], ["FL_2", "5J0007-2026-12-02"], ["FL_3", "LH9999-2026-12-03"]]),
  );
});

Deno.test("realFlightIds() gives a taken id the next free number of that airline and day, 9999 wrapping to 0001", () => {
  const ids = realFlightIds([
    flight("FL_A", "BA0282", DEC_2 + 3600),
    flight("FL_B", "BA0283", DEC_2 + 7200),
    flight("FL_C", "BA0282", DEC_2 + 9000), // BA0282 and BA0283 are taken that day
    flight("FL_D", "BA0282", DEC_2 + DAY + 60), // another day
    flight("FL_E", "LH0282", DEC_2 + 3600), // another airline
    flight("FL_F", "BA9999", DEC_2 + 3600),
    flight("FL_G", "BA9999", DEC_2 + 5400),
    flight("FL_H", "BA0282", DEC_2 + 600),
  ]);

  assert.deepEqual(
    ids,
    new Map([
      ["FL_A", "BA0282-2026-12-02"],
      ["FL_B", "BA0283-2026-12-02"],
      ["FL_C", "BA0284-2026-12-02"],
      ["FL_D", "BA0282-2026-12-03"],
      ["FL_E", "LH0282-2026-12-02"],
      ["FL_F", "BA9999-2026-12-02"],
      ["FL_G", "BA0001-2026-12-02"],
      ["FL_H", "BA0285-2026-12-02"],
    ]),
  );
});

Deno.test("realFlightIds() throws a RangeError once an airline's 9999 numbers of a day are all taken", () => {
  const flights = Array.from({ length: 9999 }, (_, index) => flight(`FL_${index}`, "BA0001", DEC_2 + index));

  assert.equal(new Set(realFlightIds(flights).values()).size, 9999);
  assert.throws(
    () => realFlightIds([...flights, flight("FL_last", "BA0500", DEC_2 + 60)]),
    new RangeError("all 9999 numbers of airline BA on 2026-12-02 are taken"),
  );
  assert.throws(
    () => realFlightIds([flight("FL_x", "BA282", DEC_2)]),
    new RangeError("flight number BA282 of FL_x is not 2 characters + 4 digits"),
  );
});

Deno.test("realFlightIds() maps a seed's flights to the same distinct ids every time, only moving colliding numbers", () => {
  const flights = scheduledFlights(OPTIONS);
  const ids = realFlightIds(flights);

  assert.equal(flights.length, 24_000);
  assert.deepEqual(realFlightIds(scheduledFlights(OPTIONS)), ids);
  assert.equal(new Set(ids.values()).size, flights.length, "injective");
  let moved = 0;
  for (const { id, flightNumber, departure_time } of flights) {
    const real = ids.get(id)!;
    assert.match(real, /^[A-Z0-9]{2}\d{4}-\d{4}-\d{2}-\d{2}$/);
    assert.equal(real.slice(7), isoDate(departure_time));
    assert.equal(real.slice(0, 2), flightNumber.slice(0, 2));
    if (real.slice(0, 6) !== flightNumber) moved += 1;
  }
  // About 190 flights of each of 126 airlines a day, and faker draws numbers of 1 to 4 digits alike: 0000-0099 crowd.
  assert.equal(moved, 6946);
  assert.notDeepEqual(realFlightIds(scheduledFlights({ ...OPTIONS, seed: 6 })), ids);
});

Deno.test("tagNumber() numbers the bags 0125000000, 0125000001, … and refuses an index without a 10-digit tag", () => {
  assert.equal(tagNumber(0), "0125000000");
  assert.equal(tagNumber(1), "0125000001");
  assert.equal(tagNumber(999_999), "0125999999");
  assert.equal(tagNumber(9_999_999), "0134999999");
  assert.equal(tagNumber(MAX_TAGS - 1), "9999999999");
  assert.equal(MAX_TAGS, 9_875_000_000);
  for (const index of [MAX_TAGS, -1, 1.5]) {
    assert.throws(() => tagNumber(index), RangeError, `index ${index}`);
  }
});
