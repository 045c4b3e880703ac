import assert from "node:assert/strict";
import { waitFor } from "../../lib/infra/poll.ts";
import { loadScript } from "../../lib/infra/scripts.ts";
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";

const NOW = 1_800_000_000;
const RETENTION = 172_800;

async function setup() {
  const redis = await freshRedis(testConfig("arrival-scanner"));
  const claim = await loadScript(redis, "claim_flight_work");
  const confirm = await loadScript(redis, "confirm_flight_work");
  const fail = await loadScript(redis, "fail_flight_work");
  const claimOne = (token: string, digest: string, claimSeconds = 60) =>
    claim.run([], [token, claimSeconds, RETENTION, "work:flight:FL_1", digest]);
  const confirmOne = (token: string, revision: number, bags = "[]") =>
    confirm.run([], [token, "work:flight:FL_1", "flight:arrived", "FL_1", revision, NOW + 300, bags]);
  const failOne = (token: string, revision: number) => fail.run([], [token, "work:flight:FL_1", revision]);
  return { redis, claimOne, confirmOne, failOne };
}

Deno.test("claim_flight_work.lua gives revision 1 to new work, 0 once it is confirmed unchanged, 2 when it changes", async () => {
  const { redis, claimOne, confirmOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", "d1"), [1]);
    assert.equal(await confirmOne("scan-a", 1, '["BAG_1","BAG_2"]'), 1);
    assert.deepEqual(await redis.hgetall("work:flight:FL_1"), {
      revision: "1",
      digest: "d1",
      bags: '["BAG_1","BAG_2"]',
    });
    assert.deepEqual(await redis.zrange("flight:arrived", 0, -1, "WITHSCORES"), ["FL_1", String(NOW + 300)]);
    assert.deepEqual(await claimOne("scan-b", "d1"), [0]);
    assert.deepEqual(await claimOne("scan-b", "d2"), [2]);
    assert.equal(await redis.ttl("work:flight:FL_1") > RETENTION - 5, true);
  } finally {
    await redis.quit();
  }
});

Deno.test("claim_flight_work.lua answers -1 while another scan's claim is alive, and takes over a dead claim by Redis's clock", async () => {
  const { redis, claimOne, confirmOne } = await setup();
  try {
    const [time] = await redis.time();
    assert.deepEqual(await claimOne("scan-a", "d1", 1), [1]);
    assert.equal(Number(await redis.hget("work:flight:FL_1", "pending_until")), Number(time) + 1);
    assert.deepEqual(await claimOne("scan-b", "d1"), [-1]);
    // The claim lasts one second of Redis's clock, whatever the scanners' clocks say.
    const takenOver = await waitFor(async () => {
      const [result] = await claimOne("scan-b", "d1") as number[];
      return result === -1 ? false : result;
    }, 5_000);
    assert.equal(takenOver, 1, "same digest: the same revision again");
    assert.equal(await confirmOne("scan-a", 1, '["BAG_DEAD"]'), 0, "the dead scan can no longer confirm");
    assert.equal(await redis.hexists("work:flight:FL_1", "bags"), 0, "nor record its bags");
    assert.equal(await confirmOne("scan-b", 1, '["BAG_1"]'), 1);
    assert.equal(await redis.hget("work:flight:FL_1", "bags"), '["BAG_1"]');
    assert.deepEqual(await claimOne("scan-c", "d2", 1), [2]);
    const changed = await waitFor(async () => {
      const [result] = await claimOne("scan-d", "d3") as number[];
      return result === -1 ? false : result;
    }, 5_000);
    assert.equal(changed, 3, "a dead claim with other content gets a new revision");
  } finally {
    await redis.quit();
  }
});

Deno.test("claim_flight_work.lua gives changed work of a landed flight a new revision (corrections until the grace ends)", async () => {
  const { redis, claimOne, confirmOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", "d1"), [1]);
    await confirmOne("scan-a", 1);
    assert.deepEqual(await claimOne("scan-b", "d2"), [2]);
  } finally {
    await redis.quit();
  }
});

Deno.test("fail_flight_work.lua releases the claim; the same work is not tried again, changed work gets the next revision", async () => {
  const { redis, claimOne, confirmOne, failOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", "d1"), [1]);
    await confirmOne("scan-a", 1, '["BAG_1"]');
    assert.deepEqual(await claimOne("scan-a", "huge"), [2]);
    assert.equal(await failOne("scan-b", 2), 0, "another scan's claim is not recorded");
    assert.equal(await failOne("scan-a", 2), 1);
    assert.deepEqual(await redis.hgetall("work:flight:FL_1"), {
      revision: "1",
      digest: "d1",
      bags: '["BAG_1"]',
      failed_revision: "2",
      failed_digest: "huge",
    }, "the bags stay those of the last published revision");
    assert.deepEqual(await claimOne("scan-b", "huge"), [0], "unchanged since it was dead-lettered");
    assert.deepEqual(await claimOne("scan-b", "d3"), [3], "revision 2 is never given to other content");
    assert.equal(await confirmOne("scan-b", 3, '["BAG_3"]'), 1);
    assert.deepEqual(await redis.hgetall("work:flight:FL_1"), { revision: "3", digest: "d3", bags: '["BAG_3"]' });
  } finally {
    await redis.quit();
  }
});

Deno.test("claim_flight_work.lua answers a claim made again with the same token and digest with the same revision", async () => {
  const { redis, claimOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", "d1"), [1]);
    assert.deepEqual(await claimOne("scan-a", "d1"), [1], "a call sent again after it failed part way");
    assert.equal(await redis.hget("work:flight:FL_1", "pending_revision"), "1");
  } finally {
    await redis.quit();
  }
});

Deno.test("confirm_flight_work.lua records the bags of each revision it confirms, replacing the previous ones", async () => {
  const { redis, claimOne, confirmOne } = await setup();
  try {
    assert.deepEqual(await claimOne("scan-a", "d1"), [1]);
    assert.equal(await confirmOne("scan-a", 1, '["BAG_1","BAG_2"]'), 1);
    assert.deepEqual(await claimOne("scan-a", "d2"), [2]);
    assert.equal(await confirmOne("scan-a", 2, '["BAG_1"]'), 1);
    assert.deepEqual(await redis.hgetall("work:flight:FL_1"), { revision: "2", digest: "d2", bags: '["BAG_1"]' });
    assert.equal(await confirmOne("scan-a", 2, '["BAG_9"]'), 0, "a confirmed revision is not confirmed again");
    assert.equal(await redis.hget("work:flight:FL_1", "bags"), '["BAG_1"]');
  } finally {
    await redis.quit();
  }
});
