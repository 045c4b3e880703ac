import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { crc16, hashedPart, keySlot, SLOT_COUNT, slotTag } from "../../../lib/infra/cluster_slots.ts";
import { waitFor } from "../../../lib/infra/poll.ts";

/** A cluster-enabled redis-server on a Unix socket of its own, for CLUSTER KEYSLOT (no slots assigned needed). */
async function clusterEnabledRedis() {
  const dir = mkdtempSync(join(tmpdir(), "cluster-slots-"));
  const socket = join(dir, "redis.sock");
  const server = spawn("redis-server", [
    "--port",
    "0",
    "--unixsocket",
    socket,
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    join(dir, "nodes.conf"),
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
  ], { stdio: "ignore" });
  const redis = new Redis({ path: socket, lazyConnect: true, retryStrategy: () => 100 });
  redis.on("error", () => {});
  await waitFor(async () => (await redis.ping()) === "PONG", 10_000);
  return {
    redis,
    async close() {
      redis.disconnect();
      server.kill("SIGKILL");
      await new Promise((resolve) => server.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

Deno.test("CRC16 is the XMODEM checksum Redis Cluster specifies", () => {
  assert.equal(crc16(new TextEncoder().encode("123456789")), 0x31c3);
  assert.equal(crc16(new Uint8Array()), 0);
});

Deno.test("a hash tag is the text between the first { and the next }, when not empty", () => {
  assert.equal(hashedPart("{user1000}.following"), "user1000");
  assert.equal(hashedPart("foo{}{bar}"), "foo{}{bar}");
  assert.equal(hashedPart("foo{{bar}}zap"), "{bar");
  assert.equal(hashedPart("foo{bar}{zap}"), "bar");
  assert.equal(hashedPart("bag:id:BAG_1"), "bag:id:BAG_1");
  assert.equal(hashedPart("no{close"), "no{close");
});

Deno.test("every key's slot, and every slot's tag, is the one Redis computes", async () => {
  const server = await clusterEnabledRedis();
  try {
    const keys = [
      "foo",
      "{user1000}.following",
      "foo{}{bar}",
      "foo{{bar}}zap",
      "bag:id:BAG_0b9d7a4c-2f0e-4a53-9d2c-1e4b7c5d6e7f",
      "flight:id:BA0282-2026-02-05",
      "offsets:bags",
      "café",
    ];
    for (let i = 0; i < 200; i++) keys.push(`bag:id:BAG_${i}`, `flight:id:FL_${i * 7919}`);
    for (const key of keys) assert.equal(keySlot(key), await server.redis.cluster("KEYSLOT", key), key);
    // Every slot has a tag, the tags are distinct, and Redis puts `x:{tag}` on that slot (a sample of slots).
    const tags = Array.from({ length: SLOT_COUNT }, (_, slot) => slotTag(slot));
    assert.equal(new Set(tags).size, SLOT_COUNT);
    for (let slot = 0; slot < SLOT_COUNT; slot += 97) {
      assert.equal(await server.redis.cluster("KEYSLOT", `bag:count:{${slotTag(slot)}}`), slot);
    }
    assert.equal(await server.redis.cluster("KEYSLOT", `x{${slotTag(SLOT_COUNT - 1)}}`), SLOT_COUNT - 1);
  } finally {
    await server.close();
  }
});

Deno.test("a slot outside 0..16383 has no tag", () => {
  assert.throws(() => slotTag(SLOT_COUNT), RangeError);
  assert.throws(() => slotTag(-1), RangeError);
  assert.throws(() => slotTag(1.5), RangeError);
});
