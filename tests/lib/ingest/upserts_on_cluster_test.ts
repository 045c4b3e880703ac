/**
 * The flight and bag stores on a Redis Cluster (issue 18, docs/design/redis-cluster.md): one call per master, the
 * aggregates per slot, an exactly-once record per master, the marks of other masters' flights in a second call, and a
 * resharding under the batches. Compared with the same stores on the test stack's single Redis.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { Cluster, Redis } from "ioredis";
import type { Bag } from "../../../lib/domain/bag.ts";
import type { FlightMessage } from "../../../lib/domain/flight.ts";
import { refreshSlotMap, splitByNode } from "../../../lib/infra/cluster_calls.ts";
import {
  arrivalHour,
  bagKey,
  dueBagsKey,
  dueNextFlightsKey,
  flightKey,
  nodeOffsetsKey,
  slotScope,
} from "../../../lib/infra/keys.ts";
import { createBagStore } from "../../../lib/ingest/bag_store.ts";
import { createFlightStore } from "../../../lib/ingest/flight_store.ts";
import type { MarkWindow } from "../../../lib/ingest/mark_window.ts";
import { freshRedis, testConfig } from "../../_helpers/fixtures.ts";
import { snapshot } from "../../_helpers/redis_state.ts";
import {
  asMap,
  CLUSTER_STACK_SETTINGS,
  clusterSnapshot,
  emptied,
  mergedPerSlot,
  nodeMarks,
  storeRound,
  summed,
  withRedisCluster,
} from "../../_helpers/cluster_stack.ts";

/** The start of an hour: the window [T - 300, T + 600] covers two hours of arrival. */
const T = 1_800_000_000 - (1_800_000_000 % 3600);
const WINDOW: MarkWindow = { clock: () => T, windowSeconds: 600, graceSeconds: 300 };
const FLIGHTS = 300;
const BAGS = 3000;

/** Round `round` of the flights: every tenth due, and each round delays them a minute. */
function flights(round: number): FlightMessage[] {
  return Array.from({ length: FLIGHTS }, (_, i) => ({
    id: `FL_${i}`,
    departure_time: T - 7200 + i * 60,
    arrival_time: i % 10 === 0 ? T + round * 60 : T + 3600 + i * 60 + round * 60,
    bags: Array.from({ length: 10 }, (_, j) => `BAG_${(i * 10 + j + round) % BAGS}`),
  }));
}

/** Round `round` of the bags: each rerouted to another second flight. */
function bags(round: number): Bag[] {
  return Array.from({ length: BAGS }, (_, i) => ({
    id: `BAG_${i}`,
    flights: [`FL_${i % FLIGHTS}`, `FL_${(i + 1 + round) % FLIGHTS}`],
  }));
}

async function deleteMarks(cluster: Cluster): Promise<void> {
  for (const node of cluster.nodes("master")) {
    const marks = await node.keys("work:marks*");
    if (marks.length > 0) await node.del(...marks);
  }
}

/** Flight ids of `count` flights whose keys sit on `count` different masters. */
function flightsOnDifferentMasters(cluster: Cluster, count: number): string[] {
  const ids = Array.from({ length: 100 }, (_, i) => `FL_X${i}`);
  const parts = splitByNode(cluster, ids, flightKey);
  assert.ok(parts.length >= count);
  return parts.slice(0, count).map((part) => part.items[0]!);
}

Deno.test({
  name: "the flight and bag stores on a Redis Cluster",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const single: Redis = await freshRedis(testConfig("flight-consumer"));
    try {
      await withRedisCluster(async (cluster) => {
        await t.step(
          "leave through the seed's keys exactly what they leave on one node, with aggregates per slot and a record per master",
          async () => {
            const stores = {
              single: {
                flights: await createFlightStore(single, "flights", WINDOW),
                bags: await createBagStore(single, "bags", WINDOW),
              },
              cluster: {
                flights: await createFlightStore(cluster, "flights", WINDOW),
                bags: await createBagStore(cluster, "bags", WINDOW),
              },
            };
            for (const side of ["single", "cluster"] as const) {
              const recorded = { flights: new Map<number, bigint>(), bags: new Map<number, bigint>() };
              for (let round = 0; round < 3; round++) {
                await storeRound(stores[side].flights, flights(round), round, recorded.flights);
                await storeRound(stores[side].bags, bags(round), round, recorded.bags);
              }
            }
            assert.deepEqual(await clusterSnapshot(cluster, "flight:id:*"), await snapshot(single, "flight:id:*"));
            assert.deepEqual(await clusterSnapshot(cluster, "bag:id:*"), await snapshot(single, "bag:id:*"));
            assert.equal(Object.keys(await clusterSnapshot(cluster, "bag:id:*")).length, BAGS);
            assert.deepEqual(
              await mergedPerSlot(cluster, "flight:arrival_times", flightKey),
              asMap(await single.zrange("flight:arrival_times", 0, -1, "WITHSCORES")),
            );
            assert.equal(await summed(cluster, "flight:count"), FLIGHTS);
            assert.equal(await summed(cluster, "bag:count"), BAGS);
            assert.equal(await single.get("bag:count"), String(BAGS));
            // The due flights new in round 0 were marked, each in its master's marks, as on one node.
            const marks = await nodeMarks(cluster);
            assert.deepEqual(marks, asMap(await single.zrange("work:marks", 0, -1, "WITHSCORES")));
            assert.equal(Object.keys(marks).length, FLIGHTS / 10);
            // Every master records every chunk of each partition, as the one node does.
            for (const { tag } of splitByNode(cluster, [], String, true)) {
              assert.deepEqual(
                await cluster.hgetall(nodeOffsetsKey("flights", tag)),
                await single.hgetall("offsets:flights"),
              );
              assert.deepEqual(
                await cluster.hgetall(nodeOffsetsKey("bags", tag)),
                await single.hgetall("offsets:bags"),
              );
            }
            assert.deepEqual(await single.hgetall("offsets:bags"), { "0": "7499", "1": "7499" });
          },
        );

        await t.step(
          "a moved departure and a rerouted bag mark the due flights on the masters that serve them",
          async () => {
            await emptied(cluster);
            const [connecting, departing, other] = flightsOnDifferentMasters(cluster, 3) as [string, string, string];
            const flightStore = await createFlightStore(cluster, "flights", WINDOW);
            const bagStore = await createBagStore(cluster, "bags", WINDOW);
            let offset = 0;
            const storeFlight = (flight: FlightMessage) =>
              flightStore.store({
                partition: 0,
                requiredOffset: -1n,
                lastOffset: String(offset),
                records: [{ offset: String(offset++), record: flight }],
              });
            const storeBag = (bag: Bag) =>
              bagStore.store({
                partition: 0,
                requiredOffset: -1n,
                lastOffset: String(offset),
                records: [{ offset: String(offset++), record: bag }],
              });
            await storeFlight({ id: connecting, departure_time: T - 3600, arrival_time: T + 300, bags: [] });
            await storeFlight({ id: other, departure_time: T - 3600, arrival_time: T + 400, bags: [] });
            await storeFlight({ id: departing, departure_time: T + 3600, arrival_time: T + 7200, bags: [] });
            // What the scanner's reads recorded: a bag of `connecting` leaves on `departing`, and BAG_R is on a due manifest.
            const hour = arrivalHour(T + 300);
            await cluster.hset(
              dueNextFlightsKey(hour, slotScope(flightKey(departing), true)),
              flightKey(departing),
              connecting,
            );
            await cluster.sadd(dueBagsKey(hour, slotScope(bagKey("BAG_R"), true)), bagKey("BAG_R"));
            await storeBag({ id: "BAG_R", flights: [connecting] });
            await deleteMarks(cluster);

            await storeFlight({ id: departing, departure_time: T + 4200, arrival_time: T + 7200, bags: [] });
            // Marked on its own master (nodeMarks checks where), not on the departure's.
            assert.deepEqual(await nodeMarks(cluster), { [connecting]: String(T * 1000) });

            await deleteMarks(cluster);
            await storeBag({ id: "BAG_R", flights: [other] });
            assert.deepEqual(await nodeMarks(cluster), {
              [connecting]: String(T * 1000),
              [other]: String(T * 1000),
            });
          },
        );

        await t.step(
          "300 slots resharded under the batches, a master's lowest slot among them: no chunk reads as behind, the " +
            "master inherits its record, and every key ends as on one node",
          async () => {
            await emptied(cluster);
            const flightStore = await createFlightStore(cluster, "flights", WINDOW);
            const bagStore = await createBagStore(cluster, "bags", WINDOW);
            const recorded = { flights: new Map<number, bigint>(), bags: new Map<number, bigint>() };
            await storeRound(flightStore, flights(0), 0, recorded.flights);
            await storeRound(bagStore, bags(0), 0, recorded.bags);
            const source = cluster.slots[0]![0]!;
            // redis-cli moves a source's lowest slots first, so the 301st of its slots becomes its lowest.
            const sourceSlots = cluster.slots.flatMap((nodes, slot) => (nodes?.[0] === source ? [slot] : []));
            const sourceLowestAfter = sourceSlots[300]!;
            // Another master, whatever layout the cluster's earlier tests left.
            const target = splitByNode(cluster, [], String, true).find((master) => master.address !== source)!.address;
            const idOf = async (address: string) =>
              String(
                await cluster.nodes("master").find((node) => `${node.options.host}:${node.options.port}` === address)!
                  .cluster("MYID"),
              );
            const reshard = spawn("redis-cli", [
              "--cluster",
              "reshard",
              `127.0.0.1:${CLUSTER_STACK_SETTINGS.redisPort}`,
              "--cluster-from",
              await idOf(source),
              "--cluster-to",
              await idOf(target),
              "--cluster-slots",
              "300",
              "--cluster-yes",
              "--cluster-pipeline",
              "10",
            ], { stdio: "ignore" });
            const exited = new Promise<number | null>((resolve) => reshard.once("exit", resolve));
            let finished = false;
            void exited.then(() => (finished = true));
            let round = 0;
            while (!finished || round < 3) {
              round++;
              await storeRound(flightStore, flights(round), round, recorded.flights);
              await storeRound(bagStore, bags(round), round, recorded.bags);
            }
            assert.equal(await exited, 0);
            await refreshSlotMap(cluster);
            assert.equal(cluster.slots[0]![0], target, "slot 0 moved");
            // The source's record at its new lowest slot was inherited, and is at the last chunk.
            const masters = splitByNode(cluster, [], String, true);
            assert.equal(masters.find((master) => master.address === source)?.slot, sourceLowestAfter);
            for (const { tag } of masters) {
              for (const topic of ["flights", "bags"] as const) {
                assert.deepEqual(
                  await cluster.hgetall(nodeOffsetsKey(topic, tag)),
                  Object.fromEntries(
                    [...recorded[topic]].map(([partition, offset]) => [String(partition), String(offset)]),
                  ),
                  `${topic} on the master of {${tag}}`,
                );
              }
            }
            await single.flushdb();
            const oneNode = {
              flights: await createFlightStore(single, "flights", WINDOW),
              bags: await createBagStore(single, "bags", WINDOW),
            };
            const again = { flights: new Map<number, bigint>(), bags: new Map<number, bigint>() };
            for (let r = 0; r <= round; r++) {
              await storeRound(oneNode.flights, flights(r), r, again.flights);
              await storeRound(oneNode.bags, bags(r), r, again.bags);
            }
            assert.deepEqual(await clusterSnapshot(cluster, "flight:id:*"), await snapshot(single, "flight:id:*"));
            assert.deepEqual(await clusterSnapshot(cluster, "bag:id:*"), await snapshot(single, "bag:id:*"));
            assert.deepEqual(
              await mergedPerSlot(cluster, "flight:arrival_times", flightKey),
              asMap(await single.zrange("flight:arrival_times", 0, -1, "WITHSCORES")),
            );
            assert.equal(await summed(cluster, "flight:count"), FLIGHTS);
            assert.equal(await summed(cluster, "bag:count"), BAGS);
          },
        );
      }, { freshLayout: true });
    } finally {
      await single.quit();
    }
  },
});
