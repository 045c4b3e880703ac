import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { loadConfig } from "../../../lib/infra/config.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { toWorkEntry } from "../../../lib/stream/stream_reader.ts";
import { startBridge } from "../../../lib/stream/work_bridge.ts";
import { testContext } from "../../_helpers/context.ts";
import { freshRedis, isolatedEnvironment, metricValue } from "../../_helpers/fixtures.ts";
import { createScanner } from "../../_helpers/pipeline.ts";
import { seedBags, seedFlights } from "../../_helpers/seed_redis.ts";

const T = Math.floor(Date.now() / 1000);
const arriving = { id: "FL_ARRIVING", departure_time: T - 3600, arrival_time: T + 300, bags: ["BAG_A", "BAG_B"] };
const next = { id: "FL_NEXT", departure_time: T + 7200, arrival_time: T + 9000, bags: ["BAG_A"] };

const rawEntries = async (redis: Redis, stream: string) =>
  (await redis.xrange(stream, "-", "+") as [string, string[]][]).map(([, fields]) => fields);

Deno.test("a bag removed from a flight between revisions gets a removal entry on the stream", async () => {
  // The scanner and the bridge share the topics and the stream, as in production.
  const env = isolatedEnvironment("bridge");
  const config = loadConfig("bridge", env);
  const redis = await freshRedis(config);
  const scanner = await createScanner(loadConfig("arrival-scanner", env));
  const context = await testContext(config);
  const bridge = await startBridge(context);
  try {
    await seedFlights(redis, [arriving, next]);
    await seedBags(redis, [{ id: "BAG_A", flights: ["FL_ARRIVING", "FL_NEXT"] }, { id: "BAG_B", flights: [] }]);
    assert.equal((await scanner.scan.scan(T)).published, 1);
    await seedFlights(redis, [{ ...arriving, bags: ["BAG_A"] }]);
    assert.equal((await scanner.scan.scan(T + 60)).published, 1);
    await waitFor(
      async () => await metricValue(context.registry, "bridge_work_messages_total") === 2,
      20_000,
      () => "the bridge did not mirror both revisions",
    );

    const raw = await rawEntries(redis, config.stream.key);
    const partition = raw[0]![raw[0]!.indexOf("partition") + 1]!;
    const common = (revision: number, offset: number, scannedAt: number) => [
      "revision",
      String(revision),
      "scanned_at",
      String(scannedAt),
      "partition",
      partition,
      "offset",
      String(offset),
    ];
    const flight = ["flight_id", "FL_ARRIVING"];
    const arrival = ["arrival_time", String(T + 300)];
    assert.deepEqual(raw, [
      [...flight, "bag_id", "BAG_A", ...arrival, "departure_time", String(T + 7200), "next_flight_id", "FL_NEXT"]
        .concat(common(1, 0, T)),
      [...flight, "bag_id", "BAG_B", ...arrival, "departure_time", "-2", "next_flight_id", ""].concat(common(1, 0, T)),
      [...flight, "bag_id", "BAG_A", ...arrival, "departure_time", String(T + 7200), "next_flight_id", "FL_NEXT"]
        .concat(common(2, 1, T + 60)),
      [...flight, "bag_id", "BAG_B", ...arrival, "removed", "1"].concat(common(2, 1, T + 60)),
    ]);

    // What a reader sees: the removal has no departure time (null, never a code) and says removed.
    const removal = toWorkEntry(
      (await redis.xrange(config.stream.key, "-", "+") as [string, string[]][]).at(-1)!,
    );
    assert.deepEqual({ ...removal, id: "" }, {
      id: "",
      flight_id: "FL_ARRIVING",
      bag_id: "BAG_B",
      arrival_time: T + 300,
      departure_time: null,
      next_flight_id: null,
      removed: true,
      revision: 2,
      scanned_at: T + 60,
      partition: Number(partition),
      offset: "1",
    });
    assert.equal(await metricValue(context.registry, "bridge_entries_mirrored_total"), 4);
  } finally {
    await bridge.close();
    await context.closeContext();
    await scanner.close();
    await redis.quit();
  }
});
