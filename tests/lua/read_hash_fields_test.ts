import assert from "node:assert/strict";
import readHashFieldsSource from "../../lua/read_hash_fields.lua" with { type: "text" };
import { freshRedis, testConfig } from "../_helpers/fixtures.ts";

Deno.test("read_hash_fields.lua answers the field of each hash in argument order, nil for a missing hash or field", async () => {
  const redis = await freshRedis(testConfig("arrival-scanner"));
  try {
    await redis.hset("bag:id:BAG_1", "flights", '["FL_1","FL_2"]');
    await redis.hset("bag:id:BAG_3", "flights", "[]");
    await redis.hset("bag:id:BAG_4", "other", "x");
    const keys = ["bag:id:BAG_1", "bag:id:BAG_2", "bag:id:BAG_3", "bag:id:BAG_4"];
    assert.deepEqual(
      await redis.eval(readHashFieldsSource, 0, "flights", ...keys),
      ['["FL_1","FL_2"]', null, "[]", null],
    );
    assert.deepEqual(await redis.eval(readHashFieldsSource, 0, "flights"), []);
  } finally {
    await redis.quit();
  }
});
