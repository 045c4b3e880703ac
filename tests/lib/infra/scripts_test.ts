import assert from "node:assert/strict";
import { type ScriptName, scriptsOf } from "../../../lib/infra/scripts.ts";
import { freshRedis, testConfig } from "../../_helpers/fixtures.ts";

Deno.test("scriptsOf() binds every script of lua/ once per connection, each loading itself on first use", async () => {
  const redis = await freshRedis(testConfig("arrival-scanner"));
  const other = redis.duplicate();
  try {
    const scripts = scriptsOf(redis);
    assert.equal(scriptsOf(redis), scripts);
    assert.notEqual(scriptsOf(other), scripts);
    const files = [...Deno.readDirSync(new URL("../../../lua/", import.meta.url))].map((entry) => entry.name);
    assert.deepEqual(Object.keys(scripts).sort(), files.map((name) => name.replace(/\.lua$/, "")).sort());
    await redis.script("FLUSH");
    await redis.hset("bag:id:BAG_1", "flights", '["FL_1"]');
    const name: ScriptName = "read_hash_fields";
    assert.deepEqual(await scripts[name].run([], ["flights", "bag:id:BAG_1", "bag:id:BAG_2"]), ['["FL_1"]', null]);
    assert.deepEqual(await redis.script("EXISTS", scripts[name].sha), [1]);
  } finally {
    other.disconnect();
    await redis.quit();
  }
});
