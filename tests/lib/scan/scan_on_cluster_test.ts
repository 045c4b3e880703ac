/**
 * The arrival scan on a Redis Cluster (issue 18, docs/design/redis-cluster.md): its reads, claims and confirmations one
 * call per master, the arrival index and the counts read over every slot, expiry and the bag sweep per master.
 * Compared with the same scan of the same data on the test stack's single Redis: the same work messages, the same
 * publication states, and the same keys left after expiry and the sweep.
 */
import assert from "node:assert/strict";
import type { Cluster, Redis } from "ioredis";
import type { Kafka, Producer } from "kafkajs";
import { Registry } from "prom-client";
import type { Bag } from "../../../lib/domain/bag.ts";
import type { FlightMessage } from "../../../lib/domain/flight.ts";
import type { FlightWork } from "../../../lib/domain/work.ts";
import type { Config } from "../../../lib/infra/config.ts";
import { createProducer, ensureWorkTopics } from "../../../lib/infra/kafka.ts";
import { flightKey } from "../../../lib/infra/keys.ts";
import type { RedisClient } from "../../../lib/infra/redis.ts";
import { createBagStore } from "../../../lib/ingest/bag_store.ts";
import { createFlightStore } from "../../../lib/ingest/flight_store.ts";
import type { MarkWindow } from "../../../lib/ingest/mark_window.ts";
import { ArrivalScan } from "../../../lib/scan/arrival_scan.ts";
import { createScannerMetrics } from "../../../lib/scan/scanner_metrics.ts";
import { freshRedis, readTopic, testConfig, testKafka } from "../../_helpers/fixtures.ts";
import { snapshot } from "../../_helpers/redis_state.ts";
import {
  asMap,
  clusterSnapshot,
  mergedPerSlot,
  storeRound,
  summed,
  withRedisCluster,
} from "../../_helpers/cluster_stack.ts";

/** The start of an hour. */
const T = 1_800_000_000 - (1_800_000_000 % 3600);
const WINDOW: MarkWindow = { clock: () => T, windowSeconds: 600, graceSeconds: 300 };
const FLIGHTS = 90;
const BAGS = 2700;

/**
 * Every third flight arrives within the window; each carries the bags whose first flight it is. Of the bags, a quarter
 * connect to a later flight, a quarter end there, a quarter connect to a flight never sent, and a quarter are on the
 * manifest without an itinerary (half of them stored as on another flight's journey).
 */
function flights(round: number): FlightMessage[] {
  return Array.from({ length: FLIGHTS }, (_, i) => ({
    id: `FL_${i}`,
    departure_time: T - 7200 + i * 60,
    arrival_time: i % 3 === 0 ? T + (i % 10) * 50 : T + 7200 + i * 60,
    // Round 1 takes a tenth of each manifest off.
    bags: Array.from({ length: BAGS / FLIGHTS }, (_, j) => `BAG_${j * FLIGHTS + i}`).filter((_, j) =>
      round === 0 || j % 10 !== 0
    ),
  }));
}

function bags(round: number): Bag[] {
  return Array.from({ length: BAGS }, (_, i) => i).flatMap((i): Bag[] => {
    const first = `FL_${i % FLIGHTS}`;
    // Round 1 moves the connecting bags' second flight.
    const next = `FL_${(i % FLIGHTS + 1 + round) % FLIGHTS}`;
    switch (Math.floor(i / FLIGHTS) % 4) {
      case 0:
        return [{ id: `BAG_${i}`, flights: [first, next] }];
      case 1:
        return [{ id: `BAG_${i}`, flights: [first] }];
      case 2:
        return [{ id: `BAG_${i}`, flights: [first, "FL_NEVER_SENT"] }];
      default:
        return i % 2 === 0 ? [{ id: `BAG_${i}`, flights: [next] }] : [];
    }
  });
}

interface Side {
  readonly name: string;
  readonly redis: RedisClient;
  readonly config: Config;
  readonly scan: ArrivalScan;
  readonly store: (round: number) => Promise<void>;
}

async function sideOf(name: string, redis: RedisClient, producer: Producer, kafka: Kafka): Promise<Side> {
  const config = testConfig("arrival-scanner");
  await ensureWorkTopics(kafka, config);
  const flightStore = await createFlightStore(redis, "flights", WINDOW);
  const bagStore = await createBagStore(redis, "bags", WINDOW);
  const recorded = { flights: new Map<number, bigint>(), bags: new Map<number, bigint>() };
  return {
    name,
    redis,
    config,
    scan: new ArrivalScan({ redis, producer, metrics: createScannerMetrics(new Registry()), config }),
    store: async (round) => {
      await storeRound(flightStore, flights(round), round, recorded.flights);
      await storeRound(bagStore, bags(round), round, recorded.bags);
    },
  };
}

async function workOf(kafka: Kafka, side: Side, count: number): Promise<FlightWork[]> {
  const messages = await readTopic(kafka, side.config.topics.work, count);
  return messages.map((message) => JSON.parse(message.value!) as FlightWork).sort((a, b) =>
    a.id.localeCompare(b.id) || a.revision - b.revision
  );
}

/** The publication states by flight id (a cluster's keys end with the flight's scope). */
async function workStates(side: Side): Promise<Record<string, unknown>> {
  const raw = side.name === "cluster"
    ? await clusterSnapshot(side.redis as Cluster, "work:flight:*")
    : await snapshot(side.redis as Redis, "work:flight:*");
  return Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [key.replace(/^work:flight:/, "").replace(/:\{[^}]*\}$/, ""), value]),
  );
}

Deno.test({
  name: "the arrival scan on a Redis Cluster publishes exactly the work of one node, and expires and sweeps the same",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const single = await freshRedis(testConfig("arrival-scanner"));
    const kafka = testKafka(testConfig("arrival-scanner"));
    const producer = createProducer(kafka);
    await producer.connect();
    try {
      await withRedisCluster(async (cluster) => {
        const sides = [
          await sideOf("single", single, producer, kafka),
          await sideOf("cluster", cluster, producer, kafka),
        ];
        for (const side of sides) await side.store(0);
        const reports = [];
        for (const side of sides) reports.push(await side.scan.scan(T));
        const due = FLIGHTS / 3;
        for (const report of reports) {
          assert.deepEqual(report, {
            scanned: due,
            published: due,
            unchanged: 0,
            claimedElsewhere: 0,
            deadLettered: 0,
          });
        }
        const [firstSingle, firstCluster] = [await workOf(kafka, sides[0]!, due), await workOf(kafka, sides[1]!, due)];
        assert.equal(firstSingle.length, due);
        assert.deepEqual(firstCluster, firstSingle);
        // Every code is there, so the data exercised every read.
        const codes = new Set(
          firstSingle.flatMap((work) => Object.values(work.bags).map((v) => v > 0 ? "departure" : v)),
        );
        assert.deepEqual([...codes].sort(), [-1, -10, -3, 0, "departure"].sort());
        assert.deepEqual(await workStates(sides[1]!), await workStates(sides[0]!));

        // Corrections: bags rerouted and taken off manifests, so revision 2 with removed bags.
        for (const side of sides) await side.store(1);
        for (const side of sides) {
          assert.deepEqual(await side.scan.scan(T + 60), {
            scanned: due,
            published: due,
            unchanged: 0,
            claimedElsewhere: 0,
            deadLettered: 0,
          }, side.name);
        }
        const [secondSingle, secondCluster] = [
          await workOf(kafka, sides[0]!, 2 * due),
          await workOf(kafka, sides[1]!, 2 * due),
        ];
        assert.deepEqual(secondCluster, secondSingle);
        assert.ok(secondSingle.some((work) => work.revision === 2 && work.removed_bags.length > 0));
        assert.deepEqual(await workStates(sides[1]!), await workStates(sides[0]!));

        // Past the retention, every flight expires with the bags whose journeys ended on it; the sweep takes the rest.
        for (const side of sides) {
          const later = T + side.config.scan.dataRetentionSeconds + 86_400;
          await side.scan.scan(later);
          await side.scan.sweep(later);
        }
        assert.deepEqual(await clusterSnapshot(cluster, "flight:id:*"), {});
        assert.deepEqual(await clusterSnapshot(cluster, "bag:id:*"), await snapshot(single, "bag:id:*"));
        assert.deepEqual(
          await mergedPerSlot(cluster, "flight:expired", flightKey),
          asMap(await single.zrange("flight:expired", 0, -1, "WITHSCORES")),
        );
        assert.equal(Object.keys(asMap(await single.zrange("flight:expired", 0, -1, "WITHSCORES"))).length, FLIGHTS);
        assert.equal(await summed(cluster, "flight:count"), Number(await single.get("flight:count")));
        assert.equal(await summed(cluster, "bag:count"), Number(await single.get("bag:count")));
        assert.equal(Number(await single.get("flight:count")), 0);
      });
    } finally {
      await producer.disconnect();
      await single.quit();
    }
  },
});
