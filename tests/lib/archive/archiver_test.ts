import assert from "node:assert/strict";
import { loadConfig } from "../../../lib/infra/config.ts";
import { waitFor } from "../../../lib/infra/poll.ts";
import {
  createTopic,
  isolatedEnvironment,
  metricValue,
  produce,
  type ReadMessage,
  readTopic,
  testKafka,
} from "../../_helpers/fixtures.ts";
import { applyMigrations } from "../../../lib/archive/migrate.ts";
import { DAY_TABLES, isoDay, listPartitions, MONTH_TABLE, Partitions } from "../../../lib/archive/partitions.ts";
import { startConsumers } from "../../_helpers/pipeline.ts";
import { testSchema } from "../../_helpers/postgres.ts";
import { archivedRows, rowCounts, startTestArchiver } from "../../_helpers/archive.ts";
import { freshRedis } from "../../_helpers/fixtures.ts";
import { startProcess } from "../../_helpers/processes.ts";
import { taskArgs } from "../../../tools/processes.ts";

const T = Math.floor(Date.now() / 1000 / 60) * 60;
const byId = (value: unknown) => (value as { id: string }).id;

const flightA = { id: "FL_A", departure_time: T + 3600, arrival_time: T + 7200, bags: ["BAG_1", "BAG_2"] };
const flightB = { id: "FL_B", departure_time: T + 9000, arrival_time: T + 12000, bags: ["BAG_1"] };
const flightADelayed = { ...flightA, arrival_time: T + 7800 };
const invalidFlight = { id: "FL_X", departure_time: "soon" };
const bag1 = { id: "BAG_1", flights: ["FL_A", "FL_B"] };
const bag2 = { id: "BAG_2", flights: ["FL_A"] };
const bag1Corrected = { id: "BAG_1", flights: ["FL_A", "FL_C"] };
const revision1 = {
  id: "FL_A",
  arrival_time: T + 7200,
  bags: { BAG_1: T + 9000, BAG_2: 0 },
  next_flights: { BAG_1: "FL_B", BAG_2: null },
  revision: 1,
  scanned_at: T,
  removed_bags: [],
};
const revision2 = {
  id: "FL_A",
  arrival_time: T + 7800,
  bags: { BAG_1: -3 },
  next_flights: { BAG_1: "FL_C" },
  revision: 2,
  scanned_at: T + 60.5,
  removed_bags: ["BAG_2"],
};

/** Where `value` landed in `messages` (the topic read back). */
function sourceOf(messages: readonly ReadMessage[], value: unknown, nth = 0) {
  const found = messages.filter((message) => message.value === JSON.stringify(value))[nth];
  assert.ok(found, `${JSON.stringify(value)} is in the topic`);
  return { kafka_partition: found.partition, kafka_offset: found.offset };
}

const withoutTimes = <R extends Record<string, unknown>>(rows: R[]) => rows.map(({ kafka_time: _, ...rest }) => rest);

Deno.test({
  name:
    "the archiver keeps every flight version, itinerary version, work revision and dead letter exactly once, and serves their history",
  async fn() {
    const env = isolatedEnvironment("archiver", {
      ARCHIVE_BATCH_SIZE: "2",
      HISTORY_PORT: "0",
      HISTORY_HOST: "127.0.0.1",
    });
    const config = loadConfig("archiver", env);
    const kafka = testKafka(config);
    const redis = await freshRedis(config);
    const schema = await testSchema();
    const consumers = await startConsumers(config);
    const archiver = await startTestArchiver(config, schema);
    const before = Date.now();
    try {
      await produce(kafka, config.topics.flights, [flightA, flightB, invalidFlight, flightADelayed], byId);
      await produce(kafka, config.topics.bags, [bag1, bag2, bag1Corrected], byId);
      // Revision 1 again in the same chunk and in a later one (chunks of 2): a scanner that republished it.
      await produce(kafka, config.topics.work, [revision1, revision1, revision2, revision1], byId);
      const after = Date.now();
      let counts: Record<string, number> = {};
      await waitFor(
        async () => {
          counts = await rowCounts(schema.sql);
          const [work] = await schema.sql<{ archived: number }[]>`select coalesce(sum(next_offset), 0)::int as archived
            from archive_offsets where topic = ${config.topics.work}`;
          return counts.flight_versions === 3 && counts.bag_itineraries === 3 && counts.work_revisions === 4 &&
            counts.dead_letters === 1 && work!.archived === 4;
        },
        60_000,
        () => `rows: ${JSON.stringify(counts)}`,
      );

      const flights = await readTopic(kafka, config.topics.flights, 4, { settleMs: 0 });
      const bags = await readTopic(kafka, config.topics.bags, 3, { settleMs: 0 });
      const work = await readTopic(kafka, config.topics.work, 4, { settleMs: 0 });
      const dlq = await readTopic(kafka, `${config.topics.flights}.dlq`, 1, { settleMs: 0 });
      const rows = await archivedRows(schema.sql);
      const byOffset = (a: { kafka_partition: number; kafka_offset: string }, b: typeof a) =>
        a.kafka_partition - b.kafka_partition || Number(a.kafka_offset) - Number(b.kafka_offset);
      assert.deepEqual(
        withoutTimes(rows.flight_versions),
        [
          {
            flight_id: "FL_A",
            departure_time: `${T + 3600}`,
            arrival_time: `${T + 7200}`,
            bags: ["BAG_1", "BAG_2"],
            ...sourceOf(flights, flightA),
          },
          {
            flight_id: "FL_B",
            departure_time: `${T + 9000}`,
            arrival_time: `${T + 12000}`,
            bags: ["BAG_1"],
            ...sourceOf(flights, flightB),
          },
          {
            flight_id: "FL_A",
            departure_time: `${T + 3600}`,
            arrival_time: `${T + 7800}`,
            bags: ["BAG_1", "BAG_2"],
            ...sourceOf(flights, flightADelayed),
          },
        ].sort(byOffset),
      );
      assert.deepEqual(
        withoutTimes(rows.bag_itineraries),
        [
          { bag_id: "BAG_1", flights: ["FL_A", "FL_B"], ...sourceOf(bags, bag1) },
          { bag_id: "BAG_2", flights: ["FL_A"], ...sourceOf(bags, bag2) },
          { bag_id: "BAG_1", flights: ["FL_A", "FL_C"], ...sourceOf(bags, bag1Corrected) },
        ].sort(byOffset),
      );
      const arrival = (seconds: number) => new Date(seconds * 1000).toISOString();
      const first = sourceOf(work, revision1);
      const second = sourceOf(work, revision2);
      assert.deepEqual(rows.work_revisions, [
        {
          flight_id: "FL_A",
          bag_id: "BAG_1",
          revision: 1,
          arrival_at: arrival(T + 7200),
          departure_time: `${T + 9000}`,
          next_flight_id: "FL_B",
          removed: false,
          scanned_at: `${T}`,
          ...first,
        },
        {
          flight_id: "FL_A",
          bag_id: "BAG_2",
          revision: 1,
          arrival_at: arrival(T + 7200),
          departure_time: "0",
          next_flight_id: null,
          removed: false,
          scanned_at: `${T}`,
          ...first,
        },
        {
          flight_id: "FL_A",
          bag_id: "BAG_1",
          revision: 2,
          arrival_at: arrival(T + 7800),
          departure_time: "-3",
          next_flight_id: "FL_C",
          removed: false,
          scanned_at: `${T + 60.5}`,
          ...second,
        },
        {
          flight_id: "FL_A",
          bag_id: "BAG_2",
          revision: 2,
          arrival_at: arrival(T + 7800),
          departure_time: null,
          next_flight_id: null,
          removed: true,
          scanned_at: `${T + 60.5}`,
          ...second,
        },
      ]);
      const invalid = sourceOf(flights, invalidFlight);
      assert.deepEqual(withoutTimes(rows.dead_letters), [{
        topic: `${config.topics.flights}.dlq`,
        kafka_partition: dlq[0]!.partition,
        kafka_offset: dlq[0]!.offset,
        reason: "'departure_time' must be a number of Unix seconds",
        source_topic: config.topics.flights,
        source_partition: invalid.kafka_partition,
        source_offset: invalid.kafka_offset,
        message_key: "FL_X",
        value: JSON.stringify(invalidFlight),
      }]);
      for (const row of [...rows.flight_versions, ...rows.bag_itineraries]) {
        const at = Date.parse(row.kafka_time as string);
        assert.ok(at >= before - 1000 && at <= after + 1000, `kafka_time ${row.kafka_time} is when it was sent`);
      }

      // The history endpoint: every version and revision, in time order.
      const history = await (await fetch(`${archiver.historyUrl}/bags/BAG_1`)).json();
      const itineraryAt = (value: unknown) =>
        rows.bag_itineraries.find((row) =>
          row.kafka_offset === sourceOf(bags, value).kafka_offset &&
          row.kafka_partition === sourceOf(bags, value).kafka_partition
        )!.kafka_time;
      const source = (value: unknown) => {
        const { kafka_partition, kafka_offset } = sourceOf(bags, value);
        return { partition: kafka_partition, offset: Number(kafka_offset) };
      };
      assert.deepEqual(history, {
        id: "BAG_1",
        itineraries: [
          { flights: ["FL_A", "FL_B"], at: itineraryAt(bag1), ...source(bag1) },
          { flights: ["FL_A", "FL_C"], at: itineraryAt(bag1Corrected), ...source(bag1Corrected) },
        ],
        work: [
          {
            flight_id: "FL_A",
            revision: 1,
            arrival_time: T + 7200,
            departure_time: T + 9000,
            next_flight_id: "FL_B",
            removed: false,
            scanned_at: T,
          },
          {
            flight_id: "FL_A",
            revision: 2,
            arrival_time: T + 7800,
            departure_time: -3,
            next_flight_id: "FL_C",
            removed: false,
            scanned_at: T + 60.5,
          },
        ],
        events: [],
      });
      const flightHistory = await (await fetch(`${archiver.historyUrl}/flights/FL_A`)).json();
      assert.deepEqual(flightHistory.versions.map((v: { arrival_time: number }) => v.arrival_time), [
        T + 7200,
        T + 7800,
      ]);
      assert.deepEqual(flightHistory.work, [
        {
          revision: 1,
          arrival_time: T + 7200,
          scanned_at: T,
          bags: { BAG_1: T + 9000, BAG_2: 0 },
          next_flights: { BAG_1: "FL_B", BAG_2: null },
          removed_bags: [],
        },
        {
          revision: 2,
          arrival_time: T + 7800,
          scanned_at: T + 60.5,
          bags: { BAG_1: -3 },
          next_flights: { BAG_1: "FL_C" },
          removed_bags: ["BAG_2"],
        },
      ]);

      // The same as a timeline at a terminal.
      const task = startProcess(Deno.execPath(), [...taskArgs("history"), "BAG_1"], {
        ...env,
        POSTGRES_URL: schema.url,
      });
      assert.equal(await task.exited, 0, task.output());
      const utc = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
      const lines = [
        [Date.parse(itineraryAt(bag1) as string), "itinerary FL_A > FL_B"],
        [Date.parse(itineraryAt(bag1Corrected) as string), "itinerary FL_A > FL_C"],
        [
          T * 1000,
          `arriving on FL_A at ${utc((T + 7200) * 1000)} (revision 1): next FL_B departing ${utc((T + 9000) * 1000)}`,
        ],
        [(T + 60.5) * 1000, `arriving on FL_A at ${utc((T + 7800) * 1000)} (revision 2): next flight unknown`],
      ] as const;
      const timeline = [...lines].sort((a, b) => a[0] - b[0]).map(([ms, text]) => `  ${utc(ms)}  ${text}`);
      const printed = task.output().split("\n");
      assert.deepEqual(
        printed.slice(printed.indexOf("bag BAG_1")).join("\n").trim(),
        ["bag BAG_1", ...timeline].join("\n"),
      );
    } finally {
      await archiver.close();
      await consumers.close();
      await redis.quit();
      await schema.drop();
    }
  },
});

Deno.test("the history endpoint answers 404 for an id it does not know and 400 for anything that is not an id, reading nothing", async () => {
  const env = isolatedEnvironment("archiver", { HISTORY_PORT: "0", HISTORY_HOST: "127.0.0.1" });
  const config = loadConfig("archiver", env);
  const schema = await testSchema();
  const archiver = await startTestArchiver(config, schema);
  try {
    const get = async (path: string, method = "GET") => {
      const response = await fetch(`${archiver.historyUrl}${path}`, { method });
      const text = await response.text();
      return { status: response.status, body: method === "GET" ? JSON.parse(text) : null };
    };
    assert.deepEqual(await get("/bags/BAG_NOBODY"), {
      status: 404,
      body: { error: "the archive has no bag BAG_NOBODY" },
    });
    assert.deepEqual(await get("/flights/FL_NONE"), {
      status: 404,
      body: { error: "the archive has no flight FL_NONE" },
    });
    const notAnId = { status: 400, body: { error: "an id is 1-128 letters, digits, '_', '.' or '-'" } };
    for (
      const hostile of [
        "/bags/x'%3B%20drop%20table%20bag_itineraries%3B--",
        "/bags/%00",
        `/bags/${"A".repeat(129)}`,
        "/flights/FL%20A",
        "/bags/",
        "/flights/%E2%80%AE",
      ]
    ) {
      assert.deepEqual(await get(hostile), notAnId, hostile);
    }
    assert.deepEqual(await get("/bags/%ZZ"), { status: 400, body: { error: "the id is not valid percent-encoding" } });
    assert.deepEqual(await get("/bags/a/b"), {
      status: 404,
      body: { error: "not found: use /bags/<id> or /flights/<id>" },
    });
    assert.deepEqual(await get("/bags/BAG_1", "DELETE"), { status: 405, body: null });
    assert.deepEqual(await rowCounts(schema.sql), {
      flight_versions: 0,
      bag_itineraries: 0,
      work_revisions: 0,
      dead_letters: 0,
    });
  } finally {
    await archiver.close();
    await schema.drop();
  }
});

Deno.test("a month of archive_days is dropped once the whole month is past ARCHIVE_RETENTION_DAYS", async () => {
  const env = isolatedEnvironment("archiver", {
    ARCHIVE_RETENTION_DAYS: "2",
    HISTORY_PORT: "0",
    HISTORY_HOST: "127.0.0.1",
  });
  const config = loadConfig("archiver", env);
  const schema = await testSchema();
  const day = 86_400_000;
  // 3 March at noon with two days kept: 1 March is the first day kept, so February is wholly past retention.
  const now = Date.UTC(2026, 2, 3, 12);
  const dayNumber = (month: number, date: number) => Date.UTC(2026, month, date) / day;
  await applyMigrations(schema.sql);
  await new Partitions(schema.sql).ensure([dayNumber(1, 27), dayNumber(2, 2)]);
  const before = (await listPartitions(schema.sql)).map((p) => p.name);
  const archiver = await startTestArchiver(config, schema, () => now / 1000);
  try {
    const after = (await listPartitions(schema.sql)).map((p) => p.name);
    assert.deepEqual(
      before.filter((name) => !after.includes(name)).sort(),
      [...DAY_TABLES.map((table) => `${table}_p20260227`), `${MONTH_TABLE}_p202602`].sort(),
    );
    assert.ok(after.includes("bag_itineraries_p20260302") && after.includes(`${MONTH_TABLE}_p202603`));
    assert.equal(await metricValue(archiver.registry, "archive_partitions_dropped_total"), 6);
  } finally {
    await archiver.close();
    await schema.drop();
  }
});

Deno.test("the archiver drops partitions past ARCHIVE_RETENTION_DAYS at start and skips messages older than them", async () => {
  const env = isolatedEnvironment("archiver", {
    ARCHIVE_RETENTION_DAYS: "2",
    HISTORY_PORT: "0",
    HISTORY_HOST: "127.0.0.1",
  });
  const config = loadConfig("archiver", env);
  const kafka = testKafka(config);
  const schema = await testSchema();
  const day = 86_400_000;
  const today = Math.floor(Date.now() / day);
  // An archive that has run for a week: partitions of five days ago and of yesterday, a row in each.
  await applyMigrations(schema.sql);
  await new Partitions(schema.sql).ensure([today - 5, today - 1]);
  for (const [bag, daysAgo] of [["BAG_OLD", 5], ["BAG_YESTERDAY", 1]] as const) {
    await schema.sql`insert into bag_itineraries (bag_id, flights, kafka_time, kafka_partition, kafka_offset)
      values (${bag}, '{FL_A}', ${new Date(Date.now() - daysAgo * day)}, 0, 0)`;
  }
  const before = (await listPartitions(schema.sql)).map((p) => p.name);
  const archiver = await startTestArchiver(config, schema);
  try {
    const after = (await listPartitions(schema.sql)).map((p) => p.name);
    const dropped = before.filter((name) => !after.includes(name)).sort();
    // Five days ago in each day table; its month of archive_days too when that month ended before the cutoff
    // (the first days of a month), never yesterday's.
    const cutoff = today - 2;
    const oldDay = new Date((today - 5) * day);
    const oldMonthEnd = Math.floor(Date.UTC(oldDay.getUTCFullYear(), oldDay.getUTCMonth() + 1, 1) / day);
    const compact = (d: number) => isoDay(d).replaceAll("-", "");
    const expected = DAY_TABLES.map((table) => `${table}_p${compact(today - 5)}`);
    if (oldMonthEnd <= cutoff) expected.push(`${MONTH_TABLE}_p${compact(today - 5).slice(0, 6)}`);
    assert.deepEqual(dropped, expected.sort());
    assert.ok(after.includes(`bag_itineraries_p${compact(today - 1)}`));
    assert.equal(await metricValue(archiver.registry, "archive_partitions_dropped_total"), expected.length);
    // A replay of old input: the message of three days ago is past retention, today's is kept.
    await createTopic(kafka, config.topics.bags);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: config.topics.bags,
      acks: -1,
      messages: [
        {
          key: "BAG_REPLAYED",
          value: JSON.stringify({ id: "BAG_REPLAYED", flights: [] }),
          timestamp: String(Date.now() - 3 * day),
        },
        { key: "BAG_NEW", value: JSON.stringify({ id: "BAG_NEW", flights: ["FL_B"] }) },
      ],
    });
    await producer.disconnect();
    await waitFor(async () => await metricValue(archiver.registry, "archived_messages_total") === 2, 60_000);
    const bags = await schema.sql`select bag_id from bag_itineraries order by bag_id`;
    assert.deepEqual(bags.map((row) => row.bag_id), ["BAG_NEW", "BAG_YESTERDAY"]);
    assert.equal(
      await metricValue(archiver.registry, "archive_skipped_messages_total", { topic: config.topics.bags }),
      1,
    );
  } finally {
    await archiver.close();
    await schema.drop();
  }
});
