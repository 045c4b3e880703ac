import assert from "node:assert/strict";
import { InvalidMessage, requireIdList } from "../../../lib/domain/validation.ts";

const reasonOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidMessage) return error.reason;
    throw error;
  }
  return "accepted";
};

Deno.test("requireIdList accepts distinct ids and names the first repeat, in short and long lists alike", () => {
  const long = Array.from({ length: 40 }, (_, index) => `BAG_${index}`);
  assert.deepEqual(requireIdList(["FL_1", "FL_2", "FL_3"], "flights", 3, "MAX"), ["FL_1", "FL_2", "FL_3"]);
  assert.deepEqual(requireIdList(long, "bags", 100, "MAX"), long);
  assert.deepEqual(requireIdList([], "flights", 3, "MAX"), []);
  assert.equal(reasonOf(() => requireIdList(["A", "B", "A"], "flights", 3, "MAX")), "'flights' lists A twice");
  assert.equal(reasonOf(() => requireIdList([...long, "BAG_7"], "bags", 100, "MAX")), "'bags' lists BAG_7 twice");
});

Deno.test("requireIdList names the first invalid entry by its index, and the limit it exceeds", () => {
  assert.equal(reasonOf(() => requireIdList(["FL_1", 7], "flights", 3, "MAX")), "'flights[1]' must be a string id");
  assert.equal(
    reasonOf(() => requireIdList(["FL_1", "bag:id:x"], "flights", 3, "MAX")),
    "'flights[1]' must be 1-128 letters, digits, '_', '-' or '.'",
  );
  assert.equal(
    reasonOf(() => requireIdList(["A", "B", "C", "D"], "flights", 3, "MAX_ITINERARY_FLIGHTS")),
    "'flights' has 4 entries, more than MAX_ITINERARY_FLIGHTS (3)",
  );
  assert.equal(reasonOf(() => requireIdList("FL_1", "flights", 3, "MAX")), "'flights' must be an array of ids");
});
