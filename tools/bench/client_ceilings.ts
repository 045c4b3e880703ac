/**
 * Ceilings of our own code's two halves, measured apart: a kafkajs consumer that only decodes
 * (child processes of bench/decode_only.ts) and the Lua upsert scripts called directly with no Kafka.
 */
import type { Bag } from "../../lib/domain/bag.ts";
import type { Flight } from "../../lib/domain/flight.ts";
import { createBagStore } from "../../lib/ingest/bag_store.ts";
import type { StoreRequest, StoreResult } from "../../lib/consume/batch_consumer.ts";
import { createFlightStore } from "../../lib/ingest/flight_store.ts";
import { systemClock } from "../../lib/infra/clock.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { markWindowOf } from "../../lib/ingest/mark_window.ts";
import { seedDueRecords } from "./due_records.ts";
import type { Redis } from "../../lib/infra/redis.ts";
import { BENCH_BROKERS } from "./bench_stack.ts";
import { type ChildProcess, spawnChild } from "../processes.ts";
import { workerArgs } from "./workers.ts";
import { CpuMeter, cpuPerUnit, stackPids } from "./cpu.ts";
import { measureUntil, type Throughput } from "./progress.ts";

/** `processes` decode-only consumers in one group read `messages` messages of `topic`; their total rate. */
export async function decodeCeiling(
  topic: string,
  messages: number,
  processes: number,
  group: string,
  env: Record<string, string | undefined>,
): Promise<Throughput & { peakRssBytes: (number | undefined)[]; cpuMicrosecondsPerMessage: Record<string, number> }> {
  const childEnv = {
    ...env,
    KAFKA_BROKERS: BENCH_BROKERS,
    BENCH_TOPIC: topic,
    BENCH_GROUP: group,
    BENCH_PROCESSES: String(processes),
  };
  // The bag consumer's own permission flags, with this script.
  const args = [...workerArgs("bag-consumer", childEnv).slice(0, -1), "tools/bench/decode_only.ts"];
  const decoded: number[] = new Array(processes).fill(0);
  const children: ChildProcess[] = [];
  for (let index = 0; index < processes; index++) {
    children.push(spawnChild({
      name: `decode-only-${index + 1}`,
      command: Deno.execPath(),
      args,
      env: childEnv,
      onLine: (line) => {
        const count = /^\{"decoded":(\d+)/.exec(line)?.[1];
        if (count !== undefined) decoded[index] = Number(count);
      },
    }));
  }
  const cpu = new CpuMeter({
    ...Object.fromEntries(children.map((child) => [child.name, child.pid])),
    "kafka-broker": stackPids()["kafka-broker"] ?? 0,
  }).start();
  try {
    // Nothing is decoded until every process joined (see decode_only.ts): the first movement starts the window.
    const sum = async () => decoded.reduce((total, count) => total + count, 0);
    const throughput = await measureUntil(sum, messages, 60_000, () => `decoded ${decoded.join(", ")}`);
    return {
      ...throughput,
      peakRssBytes: children.map((child) => child.peakRssBytes()),
      cpuMicrosecondsPerMessage: cpuPerUnit(cpu.stop(), messages),
    };
  } finally {
    await Promise.all(children.map((child) => child.stop(5_000)));
  }
}

/** Rates of the upsert scripts called directly: flights/s and bags/s. */
export interface LuaCeiling {
  readonly flightsPerSecond: number;
  readonly bagsPerSecond: number;
  /** CPU time per bag of this process (ioredis) and Redis. */
  readonly cpuMicrosecondsPerBag: Record<string, number>;
}

/**
 * Calls lib/flight_store.ts and lib/bag_store.ts directly on the scratch database with chunks of
 * `chunk` records, `lanes` calls in flight (as that many partitions would be), and empties it after.
 */
export async function luaCeiling(
  scratch: Redis,
  flights: readonly Flight[],
  bags: readonly Bag[],
  chunk: number,
  lanes: number,
): Promise<LuaCeiling> {
  await scratch.flushdb();
  try {
    // The consumers' marks as a consumer with the default scan window leaves them, with the scanner's records of the
    // due flights a consumer meets in production.
    const window = markWindowOf(loadConfig("bag-consumer", {}), systemClock);
    await seedDueRecords(scratch, bags.map((bag) => bag.id), flights.map((flight) => flight.id));
    const flightStore = await createFlightStore(scratch, "bench-ceiling-flights", window);
    const bagStore = await createBagStore(scratch, "bench-ceiling-bags", window);
    const flightsPerSecond = await storeAll(flights, chunk, lanes, flightStore.store);
    const cpu = new CpuMeter({ client: Deno.pid, "redis-server": stackPids()["redis-server"] ?? 0 }).start();
    const bagsPerSecond = await storeAll(bags, chunk, lanes, bagStore.store);
    return { flightsPerSecond, bagsPerSecond, cpuMicrosecondsPerBag: cpuPerUnit(cpu.stop(), bags.length) };
  } finally {
    await scratch.flushdb();
  }
}

/** Stores `records` split over `lanes` partitions in chunks, one call in flight per lane; records/s. */
async function storeAll<T>(
  records: readonly T[],
  chunk: number,
  lanes: number,
  store: (request: StoreRequest<T>) => Promise<StoreResult>,
): Promise<number> {
  // The requests are built before the clock starts: only the store calls are timed.
  const laneRequests = Array.from({ length: lanes }, (_, lane) => {
    const mine = records.filter((_, index) => index % lanes === lane);
    const requests: StoreRequest<T>[] = [];
    for (let start = 0; start < mine.length; start += chunk) {
      const parsed = mine.slice(start, start + chunk).map((record, index) => ({
        offset: String(start + index),
        record,
      }));
      requests.push({ partition: lane, requiredOffset: -1n, lastOffset: parsed.at(-1)!.offset, records: parsed });
    }
    return requests;
  });
  const started = performance.now();
  await Promise.all(laneRequests.map(async (requests) => {
    for (const request of requests) {
      if ((await store(request)).status !== "applied") throw new Error("the Lua ceiling's store reported lost state");
    }
  }));
  return records.length / ((performance.now() - started) / 1000);
}
