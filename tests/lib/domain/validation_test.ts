import assert from "node:assert/strict";
import { InvalidMessage, type RepeatRule, requireIdList } from "../../../lib/domain/validation.ts";

const reasonOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidMessage) return error.reason;
    throw error;
  }
  return "accepted";
};

/** requireIdList with a recorder of the ids it reports dropped. */
const withDrops = (value: unknown, field: string, max: number, rule: RepeatRule) => {
  const drops: [string, string[]][] = [];
  const ids = requireIdList(value, field, max, "MAX", rule, (name, dropped) => void drops.push([name, [...dropped]]));
  return { ids, drops };
};

Deno.test("requireIdList returns distinct ids as they are and reports no drop, in short and long lists alike", () => {
  const long = Array.from({ length: 40 }, (_, index) => `BAG_${index}`);
  for (const rule of ["drop-repeats", "drop-adjacent-repeats"] as const) {
    assert.deepEqual(withDrops(["FL_1", "FL_2", "FL_3"], "flights", 3, rule), {
      ids: ["FL_1", "FL_2", "FL_3"],
      drops: [],
    });
    assert.deepEqual(withDrops(long, "bags", 100, rule), { ids: long, drops: [] });
    assert.deepEqual(withDrops([], "flights", 3, rule), { ids: [], drops: [] });
  }
});

Deno.test("requireIdList drop-repeats keeps each id's first occurrence and reports the dropped ones", () => {
  assert.deepEqual(withDrops(["B1", "B2", "B1", "B3", "B2", "B1"], "bags", 10, "drop-repeats"), {
    ids: ["B1", "B2", "B3"],
    drops: [["bags", ["B1", "B2", "B1"]]],
  });
  assert.deepEqual(withDrops(["B1", "B1"], "bags", 10, "drop-repeats"), { ids: ["B1"], drops: [["bags", ["B1"]]] });
  const long = Array.from({ length: 40 }, (_, index) => `BAG_${index}`);
  assert.deepEqual(withDrops([...long, "BAG_7", "BAG_0"], "bags", 100, "drop-repeats"), {
    ids: long,
    drops: [["bags", ["BAG_7", "BAG_0"]]],
  });
});

Deno.test("requireIdList drop-adjacent-repeats drops an id repeated right after itself", () => {
  assert.deepEqual(withDrops(["A", "A", "B"], "flights", 10, "drop-adjacent-repeats"), {
    ids: ["A", "B"],
    drops: [["flights", ["A"]]],
  });
  assert.deepEqual(withDrops(["A", "B", "B", "B", "C"], "flights", 10, "drop-adjacent-repeats"), {
    ids: ["A", "B", "C"],
    drops: [["flights", ["B", "B"]]],
  });
  const long = Array.from({ length: 9 }, (_, index) => `FL_${index}`);
  assert.deepEqual(withDrops([...long, "FL_8"], "flights", 10, "drop-adjacent-repeats"), {
    ids: long,
    drops: [["flights", ["FL_8"]]],
  });
});

Deno.test("requireIdList drop-adjacent-repeats rejects an id repeated elsewhere as ambiguous, and reports no drop", () => {
  const ambiguous = (id: string) => `'flights' lists ${id} twice, not in a row: what follows ${id} is ambiguous`;
  for (
    const [list, id] of [
      [["A", "B", "A"], "A"],
      [["A", "A", "B", "A"], "A"],
      [["A", "B", "C", "B", "B"], "B"],
      [[...Array.from({ length: 9 }, (_, index) => `FL_${index}`), "FL_3"], "FL_3"],
    ] as const
  ) {
    const drops: unknown[] = [];
    const reason = reasonOf(() =>
      requireIdList(list, "flights", 10, "MAX", "drop-adjacent-repeats", (...args: unknown[]) => void drops.push(args))
    );
    assert.equal(reason, ambiguous(id), list.join(","));
    assert.deepEqual(drops, []);
  }
});

Deno.test("requireIdList checks the limit on the list as sent, before dropping repeats", () => {
  assert.equal(
    reasonOf(() => requireIdList(["A", "A", "B", "C"], "flights", 3, "MAX_ITINERARY_FLIGHTS", "drop-adjacent-repeats")),
    "'flights' has 4 entries, more than MAX_ITINERARY_FLIGHTS (3)",
  );
});

Deno.test("requireIdList names the first invalid entry by its index, and the limit it exceeds", () => {
  assert.equal(
    reasonOf(() => requireIdList(["FL_1", 7], "flights", 3, "MAX", "drop-adjacent-repeats")),
    "'flights[1]' must be a string id",
  );
  assert.equal(
    reasonOf(() => requireIdList(["FL_1", "bag:id:x"], "flights", 3, "MAX", "drop-adjacent-repeats")),
    "'flights[1]' must be 1-128 letters, digits, '_', '-' or '.'",
  );
  assert.equal(
    reasonOf(() => requireIdList(["A", "B", "C", "D"], "flights", 3, "MAX_ITINERARY_FLIGHTS", "drop-adjacent-repeats")),
    "'flights' has 4 entries, more than MAX_ITINERARY_FLIGHTS (3)",
  );
  assert.equal(
    reasonOf(() => requireIdList("FL_1", "flights", 3, "MAX", "drop-adjacent-repeats")),
    "'flights' must be an array of ids",
  );
});
