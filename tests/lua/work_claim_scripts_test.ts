import assert from "node:assert/strict";
import { loadScript } from "../../lib/scripts.ts";
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";

const NOW = 1_800_000_000;
const RETENTION = 172_800;

async function setup() {
  const redis = await freshRedis(testConfig("arrival-scanner"));
  const claim = await loadScript(redis, "claim_flight_work");
  const confirm = await loadScript(redis, "confirm_flight_work");
  const claimOne = (token: string, now: number, digest: string, landed = "0") =>
    claim.run(["work:flight:FL_1"], [now, token, 60, RETENTION, digest, landed]);
  const confirmOne = (token: string, revision: number) =>
    confirm.run(["flight:arrived", "work:flight:FL_1"], [token, "FL_1", revision, NOW + 300]);
  return { redis, claimOne, confirmOne };
}

Deno.test("claim_flight_work.lua gives revision 1 to new work, 0 once it is confirmed unchanged, 2 when it changes", async () => {
  const { redis, claimOne, confirmOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", NOW, "d1"), [1]);
    assert.equal(await confirmOne("scan-a", 1), 1);
    assert.deepEqual(await redis.hgetall("work:flight:FL_1"), { revision: "1", digest: "d1" });
    assert.deepEqual(await redis.zrange("flight:arrived", 0, -1, "WITHSCORES"), ["FL_1", String(NOW + 300)]);
    assert.deepEqual(await claimOne("scan-b", NOW + 60, "d1"), [0]);
    assert.deepEqual(await claimOne("scan-b", NOW + 60, "d2"), [2]);
    assert.equal(await redis.ttl("work:flight:FL_1") > RETENTION - 5, true);
  } finally {
    await redis.quit();
  }
});

Deno.test("claim_flight_work.lua answers -1 while another scan's claim is alive, and takes over a dead claim", async () => {
  const { redis, claimOne, confirmOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", NOW, "d1"), [1]);
    assert.deepEqual(await claimOne("scan-b", NOW + 30, "d1"), [-1]);
    assert.deepEqual(await claimOne("scan-b", NOW + 61, "d1"), [1], "same digest: the same revision again");
    assert.equal(await confirmOne("scan-a", 1), 0, "the dead scan can no longer confirm");
    assert.equal(await confirmOne("scan-b", 1), 1);
    assert.deepEqual(await claimOne("scan-c", NOW + 62, "d2"), [2]);
    assert.deepEqual(
      await claimOne("scan-d", NOW + 200, "d3"),
      [3],
      "a dead claim with other content gets a new revision",
    );
  } finally {
    await redis.quit();
  }
});

Deno.test("claim_flight_work.lua answers -2 for changed work of a flight that landed after publication", async () => {
  const { redis, claimOne, confirmOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", NOW, "d1", "1"), [1], "never published: published even if landed");
    await confirmOne("scan-a", 1);
    assert.deepEqual(await claimOne("scan-b", NOW + 60, "d2", "1"), [-2]);
  } finally {
    await redis.quit();
  }
});
