/** The archive keeps what baggage messages say: itinerary versions from BSMs, bag events from BPMs and BUMs. */
import assert from "node:assert/strict";
import { MONTHS } from "../../../lib/baggage_messages/flight_date.ts";
import { loadConfig } from "../../../lib/infra/config.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import { isolatedEnvironment, produce, testKafka } from "../../_helpers/fixtures.ts";
import { testSchema } from "../../_helpers/postgres.ts";
import { startTestArchiver } from "../../_helpers/archive.ts";

const T = Math.floor(Date.now() / 1000);
const today = new Date(T * 1000);
const ISO = today.toISOString().slice(0, 10);
const DDMMM = `${String(today.getUTCDate()).padStart(2, "0")}${MONTHS[today.getUTCMonth()]}`;
const TAG = "0125728359";
const IN = `BA0117-${ISO}`;
const OUT = `BA0282-${ISO}`;
const OTHER = `BA0286-${ISO}`;
const text = (...lines: string[]) => lines.join("\n");
const MESSAGES = [
  text("BSM", ".V/1TLHR", `.I/BA0117/${DDMMM}/JFK/Y`, `.F/BA0282/${DDMMM}/LAX/Y`, `.N/${TAG}001`, ".E/RUSH", "ENDBSM"),
  text("BSM", "CHG", ".V/1TLHR", `.I/BA0117/${DDMMM}/JFK/Y`, `.F/BA0286/${DDMMM}/SFO/Y`, `.N/${TAG}001`, "ENDBSM"),
  text("BUM", ".V/1TLHR", `.I/BA0117/${DDMMM}/JFK`, `.N/${TAG}001`, "ENDBUM"),
  text("BPM", ".V/1TLHR", `.J/P/AGENT7/MU12/${DDMMM}/093015Z`, `.F/BA0286/${DDMMM}/SFO`, `.N/${TAG}001`, "ENDBPM"),
  text("BSM", "DEL", ".V/1TLHR", `.N/${TAG}001`, "ENDBSM"),
];
const WORK = {
  id: IN,
  arrival_time: T + 300,
  bags: { [TAG]: T + 4000 },
  next_flights: { [TAG]: OUT },
  exceptions: { [TAG]: ["RUSH"] },
  revision: 1,
  scanned_at: T,
  removed_bags: [],
};

Deno.test("the archiver keeps every BSM version of a bag (CHG and DEL named), its BPM and BUM events and its exceptions, and serves them", async () => {
  const env = isolatedEnvironment("archiver", { HISTORY_PORT: "0", HISTORY_HOST: "127.0.0.1" });
  const config = loadConfig("archiver", env);
  const kafka = testKafka(config);
  const schema = await testSchema();
  const archiver = await startTestArchiver(config, schema);
  try {
    await produce(kafka, config.topics.baggageMessages, MESSAGES, () => TAG);
    await produce(kafka, config.topics.work, [WORK], () => IN);
    await waitFor(async () => {
      const rows = await schema.sql<{ topic: string; archived: number }[]>`
        select topic, sum(next_offset)::int as archived from archive_offsets group by topic`;
      const archived = Object.fromEntries(rows.map((row) => [row.topic, row.archived]));
      return archived[config.topics.baggageMessages] === 5 && archived[config.topics.work] === 1;
    }, 60_000);

    const itineraries = await schema.sql`select bag_id, flights, message from bag_itineraries order by kafka_offset`;
    assert.deepEqual([...itineraries], [
      { bag_id: TAG, flights: [IN, OUT], message: "BSM" },
      { bag_id: TAG, flights: [IN, OTHER], message: "BSM CHG" },
      { bag_id: TAG, flights: [], message: "BSM DEL" },
    ]);
    const events = await schema.sql`select bag_id, message, flight_id, what, location, event_at
      from bag_events order by kafka_offset`;
    assert.deepEqual([...events], [
      { bag_id: TAG, message: "BUM", flight_id: IN, what: "unloaded", location: "LHR", event_at: null },
      {
        bag_id: TAG,
        message: "BPM",
        flight_id: OTHER,
        what: "processed",
        location: "MU12",
        event_at: new Date(`${ISO}T09:30:15Z`),
      },
    ]);
    const work = await schema.sql`select bag_id, exceptions from work_revisions`;
    assert.deepEqual([...work], [{ bag_id: TAG, exceptions: ["RUSH"] }]);

    const history = await (await fetch(`${archiver.historyUrl}/bags/${TAG}`)).json();
    assert.deepEqual(history.itineraries.map((v: { flights: string[]; message: string }) => [v.message, v.flights]), [
      ["BSM", [IN, OUT]],
      ["BSM CHG", [IN, OTHER]],
      ["BSM DEL", []],
    ]);
    assert.deepEqual(history.work.map((w: { exceptions: string[] }) => w.exceptions), [["RUSH"]]);
    assert.deepEqual(history.events.map((e: { message: string; what: string; location: string }) => e.message), [
      "BUM",
      "BPM",
    ]);
    assert.equal(history.events[1].event_at, `${ISO}T09:30:15.000Z`);
  } finally {
    await archiver.close();
    await schema.drop();
  }
});
