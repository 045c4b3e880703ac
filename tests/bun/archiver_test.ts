/** The archiver and its PostgreSQL driver under Bun: the same rows and the same history as under Deno. */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/infra/config.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { isolatedEnvironment, produce, testKafka } from "../_helpers/fixtures.ts";
import { testSchema } from "../_helpers/postgres.ts";
import { waitUntilStarted } from "../_helpers/processes.ts";
import { archivedRows, rowCounts } from "../_helpers/archive.ts";
import { bunLauncher, denoLauncher, type Launcher } from "./processes.ts";

const T = Math.floor(Date.now() / 1000);
const flights = [{ id: "FL_A", departure_time: T + 600, arrival_time: T + 4200, bags: ["BAG_1", "BAG_2"] }];
const bags = [{ id: "BAG_1", flights: ["FL_A", "FL_B"] }, { id: "BAG_2", flights: ["FL_A"] }];
const work = [{
  id: "FL_A",
  arrival_time: T + 4200,
  bags: { BAG_1: T + 9000, BAG_2: 0 },
  next_flights: { BAG_1: "FL_B", BAG_2: null },
  revision: 1,
  scanned_at: T + 0.25,
  removed_bags: [],
}];
const byId = (value: unknown) => (value as { id: string }).id;

/** Archives the messages above with `launcher`'s archiver; returns its rows (without Kafka times) and a history. */
async function archiveWith(launcher: Launcher, historyPort: number) {
  const schema = await testSchema();
  const env = isolatedEnvironment("archiver", {
    POSTGRES_URL: schema.url,
    HISTORY_HOST: "127.0.0.1",
    HISTORY_PORT: String(historyPort),
    LOG_LEVEL: "info",
  });
  const config = loadConfig("archiver", env);
  const kafka = testKafka(config);
  await produce(kafka, config.topics.flights, flights, byId);
  await produce(kafka, config.topics.bags, bags, byId);
  await produce(kafka, config.topics.work, work, byId);
  const archiver = launcher.start("archiver", env);
  try {
    await waitUntilStarted(archiver, "archiver");
    await waitFor(
      async () => {
        const counts = await rowCounts(schema.sql);
        return counts.flight_versions === 1 && counts.bag_itineraries === 2 && counts.work_revisions === 2;
      },
      60_000,
      () => archiver.output(),
    );
    const history = await (await fetch(`http://127.0.0.1:${historyPort}/bags/BAG_1`)).json();
    assert.equal(await archiver.kill("SIGTERM"), 0, archiver.output());
    const rows = await archivedRows(schema.sql);
    const content = Object.fromEntries(
      Object.entries(rows).map(([table, list]) => [
        table,
        list.map(({ kafka_time: _, kafka_partition: _p, kafka_offset: _o, ...rest }) => rest),
      ]),
    );
    return {
      content,
      work: history.work,
      itineraries: history.itineraries.map((v: { flights: string[] }) => v.flights),
    };
  } finally {
    await archiver.kill("SIGKILL");
    await schema.drop();
  }
}

Deno.test("the archiver under Bun archives the same rows and answers the same history as under Deno", async () => {
  const underDeno = await archiveWith(denoLauncher, 18130);
  const underBun = await archiveWith(bunLauncher, 18131);
  assert.deepEqual(underDeno.itineraries, [["FL_A", "FL_B"]]);
  assert.deepEqual(underDeno.work.map((w: { departure_time: number }) => w.departure_time), [T + 9000]);
  assert.equal(underDeno.content.work_revisions?.length, 2);
  assert.deepEqual(underBun, underDeno);
});
