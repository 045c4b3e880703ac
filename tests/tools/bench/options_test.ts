/** The bench's command line. */
import assert from "node:assert/strict";
import { parseOptions } from "../../../tools/bench/options.ts";

Deno.test("bench options: defaults, and --freshness-seconds in whole minutes (0 leaves the stage out)", () => {
  assert.deepEqual(parseOptions([]), {
    bags: 2_000_000,
    consumers: 2,
    seed: 1,
    partitions: 6,
    freshnessSeconds: 120,
    keepStack: false,
    cpuProf: false,
  });
  assert.equal(parseOptions(["--freshness-seconds", "0"]).freshnessSeconds, 0);
  assert.equal(parseOptions(["--freshness-seconds=300"]).freshnessSeconds, 300);
  assert.throws(() => parseOptions(["--freshness-seconds", "90"]), /--freshness-seconds must be whole minutes, got 90/);
  assert.throws(() => parseOptions(["--freshness-seconds", "-60"]), /between 0 and 3600, got "-60"/);
});
