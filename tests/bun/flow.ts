/**
 * The pipeline as separate processes, started by a Launcher (Deno, Bun or the binary): a small dataset on
 * isolated topics, the two consumers, then the arrival scanner and the bridge once the data is in Redis (the
 * scanner scans at start), then tail following one flight; and the test producer on its own.
 * Every process must stop with exit code 0 on SIGTERM.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/infra/config.ts";
import type { ServiceName } from "../../lib/processes.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { toWorkEntry } from "../../lib/stream/stream_reader.ts";
import type { WorkerProcess } from "../_helpers/processes.ts";
import { freshRedis, isolatedEnvironment, produce, readTopic, testKafka } from "../_helpers/fixtures.ts";
import { appliedMessages } from "../_helpers/redis_state.ts";
import { jsonLines, type Launcher } from "./processes.ts";

/** What a reader of the stream acts on: [flight_id, bag_id, departure_time, next_flight_id, revision]. */
export type WorkItem = [string, string, number | null, string | null, number];

interface FlightMessage {
  id: string;
  departure_time: number;
  arrival_time: number;
  bags: string[];
}

/**
 * Flights arriving within the scan window (now + 180 s to now + 360 s) with every bag outcome, two
 * connecting flights departing later, and the work items the scanner must derive, relative to `t`.
 */
export function dataset(t: number) {
  const flights: FlightMessage[] = [
    { id: "FL_C1", departure_time: t + 3600, arrival_time: t + 7200, bags: ["BAG_1"] },
    { id: "FL_C2", departure_time: t + 5400, arrival_time: t + 9000, bags: ["BAG_7"] },
    { id: "FL_A1", departure_time: t - 3600, arrival_time: t + 240, bags: ["BAG_1", "BAG_2", "BAG_3"] },
    { id: "FL_A2", departure_time: t - 3000, arrival_time: t + 300, bags: ["BAG_4", "BAG_5", "BAG_6"] },
    { id: "FL_A3", departure_time: t - 2400, arrival_time: t + 360, bags: ["BAG_7"] },
  ];
  // BAG_3 has no itinerary message.
  const bags = [
    { id: "BAG_1", flights: ["FL_A1", "FL_C1"] },
    { id: "BAG_2", flights: ["FL_A1"] },
    { id: "BAG_4", flights: [] },
    { id: "BAG_5", flights: ["FL_A2", "FL_GONE"] },
    { id: "BAG_6", flights: ["FL_C1"] },
    { id: "BAG_7", flights: ["FL_A3", "FL_C2"] },
  ];
  const items: WorkItem[] = [
    ["FL_A1", "BAG_1", t + 3600, "FL_C1", 1],
    ["FL_A1", "BAG_2", 0, null, 1],
    ["FL_A1", "BAG_3", -1, null, 1],
    ["FL_A2", "BAG_4", -2, null, 1],
    ["FL_A2", "BAG_5", -3, "FL_GONE", 1],
    ["FL_A2", "BAG_6", -10, null, 1],
    ["FL_A3", "BAG_7", t + 5400, "FL_C2", 1],
  ];
  for (let f = 0; f < 12; f++) {
    const flight = { id: `FL_B${f}`, departure_time: t - 3600, arrival_time: t + 180 + 10 * f, bags: [] as string[] };
    for (let b = 0; b < 4; b++) {
      const next = (f + b) % 2 === 0 ? "FL_C1" : "FL_C2";
      flight.bags.push(`BAG_B${f}_${b}`);
      bags.push({ id: `BAG_B${f}_${b}`, flights: [flight.id, next] });
      items.push([flight.id, `BAG_B${f}_${b}`, next === "FL_C1" ? t + 3600 : t + 5400, next, 1]);
    }
    flights.push(flight);
  }
  return { flights, bags, items: sortItems(items) };
}

const sortItems = (items: WorkItem[]) => items.sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`));

/** The processes of a flow, in start order; each gets metrics port `firstPort` + its index here. */
const SERVICES: readonly ServiceName[] = ["flight-consumer", "bag-consumer", "arrival-scanner", "bridge", "tail"];

/** Runs the flow with `launcher` on data relative to `t`; returns the stream's work items, sorted. */
export async function runFlow(launcher: Launcher, t: number, firstPort: number): Promise<WorkItem[]> {
  const base = isolatedEnvironment("flight-consumer");
  // One consumer group per worker, as in production (each defaults to its service name).
  const envOf = (service: ServiceName, extra: Record<string, string> = {}) => ({
    ...base,
    KAFKA_GROUP_ID: `${base.KAFKA_GROUP_ID}-${service}`,
    METRICS_PORT: String(firstPort + SERVICES.indexOf(service)),
    ...extra,
  });
  const config = loadConfig("flight-consumer", base);
  const redis = await freshRedis(config);
  const running: { service: ServiceName; worker: WorkerProcess }[] = [];
  const start = async (service: ServiceName, extra?: Record<string, string>) => {
    const worker = launcher.start(service, envOf(service, extra));
    running.push({ service, worker });
    await waitFor(
      () => healthy(firstPort + SERVICES.indexOf(service)),
      30_000,
      () => `${launcher.name} ${service} not healthy:\n${worker.output()}`,
    );
    return worker;
  };
  const outputs = () => running.map(({ service, worker }) => `--- ${service}\n${worker.output()}`).join("\n");
  try {
    const { flights, bags } = dataset(t);
    const kafka = testKafka(config);
    const byId = (value: unknown) => (value as { id: string }).id;
    await produce(kafka, config.topics.flights, flights, byId);
    await produce(kafka, config.topics.bags, bags, byId);
    await start("flight-consumer");
    await start("bag-consumer");
    await waitFor(
      async () =>
        await appliedMessages(redis, config.topics.flights) === flights.length &&
        await appliedMessages(redis, config.topics.bags) === bags.length,
      60_000,
      () => `${launcher.name}: consumers did not apply the data:\n${outputs()}`,
    );
    await start("arrival-scanner");
    await start("bridge");
    const expected = dataset(t).items.length;
    await waitFor(
      async () => await redis.xlen(config.stream.key) === expected,
      60_000,
      () => `${launcher.name}: stream not complete:\n${outputs()}`,
    );
    const raw = await redis.xrange(config.stream.key, "-", "+") as [string, string[]][];
    const items = raw.map(toWorkEntry).map((entry): WorkItem => [
      entry.flight_id,
      entry.bag_id,
      entry.departure_time,
      entry.next_flight_id,
      entry.revision,
    ]);

    const tail = await start("tail", { TAIL_FLIGHT: "FL_A1", TAIL_FROM: "start" });
    await waitFor(
      () => printedBags(tail).length === 3,
      20_000,
      () => `${launcher.name}: tail printed ${printedBags(tail)}:\n${tail.output()}`,
    );
    assert.deepEqual(printedBags(tail).sort(), ["BAG_1", "BAG_2", "BAG_3"]);

    for (const { service, worker } of running) {
      assert.equal(await worker.kill("SIGTERM"), 0, `${launcher.name} ${service} exit code:\n${worker.output()}`);
    }
    return sortItems(items);
  } finally {
    await Promise.all(running.map(({ worker }) => worker.kill("SIGKILL")));
    await redis.quit();
  }
}

/** Whether the worker's /healthz on `port` answers 200 (it is started and reaches Kafka and Redis). */
async function healthy(port: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  await response.body?.cancel();
  return response.status === 200;
}

/** The bags of the entries tail printed (its stdout also carries its log lines). */
function printedBags(tail: WorkerProcess): string[] {
  return jsonLines(tail.output()).flatMap((line) => (typeof line.bag_id === "string" ? [line.bag_id] : []));
}

/** Runs the producer with `launcher` on a one-hour dataset at full speed; returns its report and the flights' ids. */
export async function runProducer(launcher: Launcher, port: number) {
  const env = isolatedEnvironment("producer", {
    METRICS_PORT: String(port),
    LOG_LEVEL: "info",
    PRODUCER_PACE: "max",
    PRODUCER_HOURS: "1",
    PRODUCER_FLIGHTS_PER_HOUR: "5",
    PRODUCER_BAGS_PER_HOUR: "20",
  });
  const producer = launcher.start("producer", env);
  try {
    const finished = () => {
      const line = jsonLines(producer.output()).find((line) => line.message === "producer finished");
      if (!line) throw new Error(`${launcher.name} producer did not finish:\n${producer.output()}`);
      return line;
    };
    const report = await waitFor(finished, 60_000);
    assert.equal(await producer.kill("SIGTERM"), 0, producer.output());
    const config = loadConfig("producer", env);
    const flights = await readTopic(testKafka(config), config.topics.flights, 5);
    return { report, flights: flights.map((message) => JSON.parse(message.value ?? "null").id as string).sort() };
  } finally {
    await producer.kill("SIGKILL");
  }
}
