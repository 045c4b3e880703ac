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
    archiveBags: 10_000_000,
    boardClients: 1_000,
    boardSeconds: 60,
    only: undefined,
    keepStack: false,
    cpuProf: false,
  });
  assert.equal(parseOptions(["--freshness-seconds", "0"]).freshnessSeconds, 0);
  assert.equal(parseOptions(["--freshness-seconds=300"]).freshnessSeconds, 300);
  assert.throws(() => parseOptions(["--freshness-seconds", "90"]), /--freshness-seconds must be whole minutes, got 90/);
  assert.throws(() => parseOptions(["--freshness-seconds", "-60"]), /between 0 and 3600, got "-60"/);
});

Deno.test("bench options: --archive-bags takes 0 (no history lookups) or 1,000 to 100,000,000 bags", () => {
  assert.equal(parseOptions(["--archive-bags", "1_000_000"]).archiveBags, 1_000_000);
  assert.equal(parseOptions(["--archive-bags=0"]).archiveBags, 0);
  assert.equal(parseOptions(["--archive-bags", "1000"]).archiveBags, 1_000);
  assert.throws(() => parseOptions(["--archive-bags", "999"]), /--archive-bags must be 0 or at least 1000, got 999/);
  assert.throws(() => parseOptions(["--archive-bags", "100000001"]), /between 0 and 100000000, got "100000001"/);
  assert.throws(() => parseOptions(["--archive-bags"]), /--archive-bags must be an integer/);
});

Deno.test("bench options: --board-clients (0 leaves the board stage out), --board-seconds, --only board", () => {
  const options = parseOptions(["--board-clients", "1_000", "--board-seconds=60", "--only", "board"]);
  assert.deepEqual([options.boardClients, options.boardSeconds, options.only], [1_000, 60, "board"]);
  assert.equal(parseOptions(["--board-clients=0"]).boardClients, 0);
  assert.throws(() => parseOptions(["--board-clients", "10001"]), /between 0 and 10000, got "10001"/);
  assert.throws(() => parseOptions(["--board-seconds", "0"]), /between 1 and 3600, got "0"/);
  assert.throws(() => parseOptions(["--only", "scan"]), /--only takes board, got "scan"/);
});
