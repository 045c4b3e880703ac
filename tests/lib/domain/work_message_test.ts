import assert from "node:assert/strict";
import { maxWorkMessageBytes, parseFlightWork, workDigest } from "../../../lib/domain/work.ts";
import { InvalidMessage, type MessageLimits } from "../../../lib/domain/validation.ts";

const LIMITS: MessageLimits = {
  maxMessageBytes: 2_000,
  maxBagsPerFlight: 10,
  maxItineraryFlights: 5,
  maxFutureSeconds: 86_400,
};
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const work = {
  id: "FL_1",
  arrival_time: 1_800_000_300,
  bags: { BAG_A: 0 },
  next_flights: { BAG_A: null },
  revision: 2,
  scanned_at: 1_800_000_000,
};

Deno.test("parseFlightWork() reads removed_bags, and [] from a message published before the field existed", () => {
  assert.deepEqual(parseFlightWork(encode({ ...work, removed_bags: ["BAG_B", "BAG_C"] }), LIMITS), {
    ...work,
    removed_bags: ["BAG_B", "BAG_C"],
  });
  assert.deepEqual(parseFlightWork(encode(work), LIMITS), { ...work, removed_bags: [] });
});

Deno.test("parseFlightWork() drops a removed bag listed twice: one removal entry per bag", () => {
  assert.deepEqual(parseFlightWork(encode({ ...work, removed_bags: ["BAG_B", "BAG_B"] }), LIMITS).removed_bags, [
    "BAG_B",
  ]);
});

Deno.test("parseFlightWork() rejects removed_bags that is no list of ids, too long, or lists a bag of the flight", () => {
  const reason = (removed: unknown) => {
    try {
      parseFlightWork(encode({ ...work, removed_bags: removed }), LIMITS);
    } catch (error) {
      assert.ok(error instanceof InvalidMessage);
      return error.reason;
    }
    return "accepted";
  };
  assert.equal(reason("BAG_B"), "'removed_bags' must be an array of ids");
  assert.equal(reason([7]), "'removed_bags[0]' must be a string id");
  assert.equal(reason(["BAG B"]), "'removed_bags[0]' must be 1-128 letters, digits, '_', '-' or '.'");
  assert.equal(
    reason(Array.from({ length: 11 }, (_, i) => `BAG_${i}`)),
    "'removed_bags' has 11 entries, more than MAX_BAGS_PER_FLIGHT (10)",
  );
  assert.equal(reason(["BAG_A"]), "'removed_bags' lists BAG_A, which 'bags' lists too");
  assert.equal(reason(["constructor"]), "accepted", "only the bags' own keys count, not an object's prototype");
});

Deno.test("parseFlightWork() accepts the largest valid flight's work beyond MAX_MESSAGE_BYTES, and nothing larger", () => {
  // Every id at 128 characters and every number at its longest: the worst case maxWorkMessageBytes() bounds.
  const id = (prefix: string, i: number) => `${prefix}${i}`.padEnd(128, "x");
  const ids = (prefix: string) => Array.from({ length: LIMITS.maxBagsPerFlight }, (_, i) => id(prefix, i));
  const largest = {
    id: id("FL_", 0),
    arrival_time: 1_800_000_300.123456789,
    bags: Object.fromEntries(ids("BAG_").map((bag) => [bag, -1.2345678901234567e-300])),
    next_flights: Object.fromEntries(ids("BAG_").map((bag, i) => [bag, id("FL_NEXT_", i)])),
    revision: Number.MAX_SAFE_INTEGER,
    scanned_at: 1_800_000_000.123456789,
    removed_bags: ids("GONE_"),
  };
  const value = encode(largest);
  assert.ok(value.byteLength > LIMITS.maxMessageBytes, `${value.byteLength} bytes`);
  assert.ok(value.byteLength <= maxWorkMessageBytes(LIMITS), `${value.byteLength} > ${maxWorkMessageBytes(LIMITS)}`);
  assert.deepEqual(parseFlightWork(value, LIMITS), largest);

  const tooLarge = new Uint8Array(maxWorkMessageBytes(LIMITS) + 1);
  assert.throws(
    () => parseFlightWork(tooLarge, LIMITS),
    new InvalidMessage(
      `work message of ${tooLarge.byteLength} bytes exceeds the largest valid one (${maxWorkMessageBytes(LIMITS)})`,
    ),
  );
});

Deno.test("parseFlightWork() reads the exceptions of bags that have some, and rejects any other", () => {
  const rush = { ...work, removed_bags: [], exceptions: { BAG_A: ["RUSH", "PRIO"] } };
  assert.deepEqual(parseFlightWork(encode(rush), LIMITS), rush);
  const reason = (exceptions: unknown) => {
    try {
      parseFlightWork(encode({ ...work, exceptions }), LIMITS);
    } catch (error) {
      return (error as InvalidMessage).reason;
    }
  };
  assert.equal(reason({ BAG_Z: ["RUSH"] }), "'exceptions' lists BAG_Z, which 'bags' does not");
  assert.equal(reason({ BAG_A: [] }), "'exceptions.BAG_A' must be a list of 2-8 capital letters or digits");
  assert.equal(reason({ BAG_A: ["rush"] }), "'exceptions.BAG_A' must be a list of 2-8 capital letters or digits");
  assert.equal(reason({ BAG_A: [12] }), "'exceptions.BAG_A' must be a list of 2-8 capital letters or digits");
});

Deno.test("workDigest() is unchanged for work without exceptions and changes with them", () => {
  const content = { id: "FL_1", arrival_time: 1_800_000_300, bags: { BAG_A: 0 }, next_flights: { BAG_A: null } };
  // sha1 of [arrival, [[bag, value, next]]], as before exceptions existed: no flight is republished for them.
  const before = "83W4hpj2CZO42CEJJ6AAorSwxGE=";
  assert.equal(workDigest(content), before);
  assert.notEqual(workDigest({ ...content, exceptions: { BAG_A: ["RUSH"] } }), before);
  assert.notEqual(
    workDigest({ ...content, exceptions: { BAG_A: ["RUSH"] } }),
    workDigest({ ...content, exceptions: { BAG_A: ["PRIO"] } }),
  );
});
