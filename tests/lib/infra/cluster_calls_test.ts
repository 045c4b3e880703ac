import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { Cluster } from "ioredis";
import { callEachNode, type NodePart, refreshSlotMap, splitByNode } from "../../../lib/infra/cluster_calls.ts";
import { keySlot } from "../../../lib/infra/cluster_slots.ts";
import { delay } from "../../../lib/infra/poll.ts";
import { canRetry } from "../../../lib/infra/retry.ts";
import { killRedisNode, redisClusterPorts, restartRedisNode } from "../../../tools/stack/redis_cluster.ts";
import { CLUSTER_STACK_SETTINGS as settings, withRedisCluster as withCluster } from "../../_helpers/cluster_stack.ts";

/**
 * Sets each item's key to its value and counts the call in the node's record: KEYS[1] test:calls:{<tag>}; ARGV[1] n,
 * ARGV[2..n+1] the keys, ARGV[n+2..] their values. Every key is read first: one this node does not serve ends the
 * call before anything is written.
 */
const SET_ITEMS = `#!lua flags=allow-cross-slot-keys
local n = tonumber(ARGV[1])
for i = 2, n + 1 do
  local reply = redis.pcall('TYPE', ARGV[i])
  if type(reply) == 'table' and reply.err then return redis.error_reply('NOTLOCAL ' .. ARGV[i]) end
end
redis.call('HINCRBY', KEYS[1], 'calls', 1)
for i = 2, n + 1 do redis.call('SET', ARGV[i], ARGV[i + n]) end
return n`;

interface Item {
  readonly key: string;
  readonly value: string;
}

const setItems = (part: NodePart<Item>) =>
  part.node.eval(
    SET_ITEMS,
    1,
    `test:calls:{${part.tag}}`,
    part.items.length,
    ...part.items.map((item) => item.key),
    ...part.items.map((item) => item.value),
  ) as Promise<number>;

function items(count: number, round: number): Item[] {
  return Array.from({ length: count }, (_, i) => ({ key: `bag:id:BAG_${i}`, value: `round ${round}` }));
}

/** The values of `keys`, read through the cluster client (each GET routed to its key's master). */
function valuesOf(cluster: Cluster, keys: readonly string[]): Promise<(string | null)[]> {
  return Promise.all(keys.map((key) => cluster.get(key)));
}

/** How many slots the master at `address` serves, by the client's slot map. */
function slotsServedBy(cluster: Cluster, address: string): number {
  return cluster.slots.filter((nodes) => nodes?.[0] === address).length;
}

Deno.test({
  name: "Redis Cluster: one call per master, each with the items its slots serve",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withCluster(async (cluster) => {
      const batch = items(3000, 1);
      const parts = splitByNode(cluster, batch, (item) => item.key);
      assert.equal(parts.length, 3);
      assert.equal(parts.reduce((sum, part) => sum + part.items.length, 0), 3000);
      for (const part of parts) {
        for (const item of part.items) assert.equal(cluster.slots[keySlot(item.key)]![0], part.address);
        assert.equal(keySlot(`test:calls:{${part.tag}}`), part.slot);
        assert.equal(cluster.slots[part.slot]![0], part.address);
      }
      const applied = await callEachNode(cluster, batch, (item) => item.key, setItems);
      assert.deepEqual(applied.sort(), parts.map((part) => part.items.length).sort());
      assert.deepEqual(new Set(await valuesOf(cluster, batch.map((item) => item.key))), new Set(["round 1"]));
      // A batch of one key still reaches every master when asked to (each node records every batch).
      const everyNode = await callEachNode(cluster, batch.slice(0, 1), (item) => item.key, setItems, {
        everyNode: true,
      });
      assert.deepEqual(everyNode.sort(), [0, 0, 1]);
      const calls = await Promise.all(parts.map((part) => cluster.hget(`test:calls:{${part.tag}}`, "calls")));
      assert.deepEqual(calls, ["2", "2", "2"]);
      // A part given a key of another node writes nothing, not even its local keys, and says which key.
      const [first, second] = parts;
      const mixed = { ...first!, items: [{ ...first!.items[0]!, value: "x" }, { ...second!.items[0]!, value: "x" }] };
      await assert.rejects(setItems(mixed), new RegExp(`^ReplyError: NOTLOCAL ${second!.items[0]!.key}$`));
      assert.deepEqual(await valuesOf(cluster, mixed.items.map((item) => item.key)), ["round 1", "round 1"]);
      assert.equal(await cluster.hget(`test:calls:{${first!.tag}}`, "calls"), "2");
    });
  },
});

Deno.test({
  name: "Redis Cluster: batches go on while 300 slots are resharded, every key ending with the last batch's value",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withCluster(async (cluster) => {
      const [from, to] = cluster.nodes("master");
      const [fromId, toId] = [String(await from!.cluster("MYID")), String(await to!.cluster("MYID"))];
      const toAddress = `${to!.options.host}:${to!.options.port}`;
      const servedBefore = slotsServedBy(cluster, toAddress);
      await callEachNode(cluster, items(3000, 0), (item) => item.key, setItems);
      const reshard = spawn("redis-cli", [
        "--cluster",
        "reshard",
        `127.0.0.1:${settings.redisPort}`,
        "--cluster-from",
        fromId,
        "--cluster-to",
        toId,
        "--cluster-slots",
        "300",
        "--cluster-yes",
        "--cluster-pipeline",
        "1",
      ], { stdio: "ignore" });
      const done = new Promise<number | null>((resolve) => reshard.once("exit", resolve));
      let finished = false;
      void done.then(() => (finished = true));
      let redirected = 0;
      let round = 0;
      const counted = async (part: NodePart<Item>) => {
        try {
          return await setItems(part);
        } catch (error) {
          redirected++;
          throw error;
        }
      };
      while (!finished || round < 3) {
        round++;
        await callEachNode(cluster, items(3000, round), (item) => item.key, counted);
      }
      assert.equal(await done, 0);
      await refreshSlotMap(cluster);
      assert.equal(slotsServedBy(cluster, toAddress), servedBefore + 300);
      assert.ok(redirected > 0, "no call was redirected: the reshard ended before the batches met it");
      const values = await valuesOf(cluster, items(3000, round).map((item) => item.key));
      assert.deepEqual(new Set(values), new Set([`round ${round}`]));
    }, { freshLayout: true });
  },
});

Deno.test({
  name: "Redis Cluster: a master SIGKILLed, its replica promoted, the batch completes on the new master",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withCluster(async (cluster) => {
      const masterPort = Number(cluster.slots[0]![0]!.split(":")[1]);
      const index = redisClusterPorts(settings).indexOf(masterPort);
      await killRedisNode(settings, index);
      const batch = items(3000, 7);
      let attempts = 0;
      const deadline = Date.now() + 60_000;
      for (;;) {
        attempts++;
        try {
          await callEachNode(cluster, batch, (item) => item.key, setItems, { everyNode: true });
          break;
        } catch (error) {
          if (!canRetry(error) || Date.now() > deadline) throw error;
          await delay(250);
          await refreshSlotMap(cluster).catch(() => {});
        }
      }
      assert.ok(attempts > 1, "the killed master never failed a call");
      assert.notEqual(cluster.slots[0]![0], `127.0.0.1:${masterPort}`);
      assert.deepEqual(new Set(await valuesOf(cluster, batch.map((item) => item.key))), new Set(["round 7"]));
      await restartRedisNode(settings, index);
    });
  },
});
