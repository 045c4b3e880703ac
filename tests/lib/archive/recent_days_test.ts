import assert from "node:assert/strict";
import { RecentArchiveDays } from "../../../lib/archive/recent_days.ts";

const key = (id: string) => RecentArchiveDays.key("bag", id, 20_000);

Deno.test("RecentArchiveDays remembers committed pairs up to its capacity, forgetting the oldest first", () => {
  const recent = new RecentArchiveDays(2);
  recent.checkIncarnation("server 1");
  recent.remember([key("BAG_1"), key("BAG_2")], "server 1");
  recent.remember([key("BAG_1")], "server 1");
  recent.remember([key("BAG_3")], "server 1");
  assert.deepEqual([key("BAG_1"), key("BAG_2"), key("BAG_3")].map((k) => recent.has(k)), [true, false, true]);
  assert.equal(recent.size, 2);
});

Deno.test("RecentArchiveDays forgets everything for another server incarnation, and ignores commits made on an earlier one", () => {
  const recent = new RecentArchiveDays();
  recent.checkIncarnation("server 1");
  recent.remember([key("BAG_1")], "server 1");
  recent.checkIncarnation("server 1");
  assert.equal(recent.has(key("BAG_1")), true);
  recent.checkIncarnation("server 2");
  assert.equal(recent.has(key("BAG_1")), false);
  recent.remember([key("BAG_2")], "server 1");
  assert.equal(recent.has(key("BAG_2")), false);
});

Deno.test("RecentArchiveDays.forget() (the archive found behind Kafka) forgets every pair", () => {
  const recent = new RecentArchiveDays();
  recent.checkIncarnation("server 1");
  recent.remember([key("BAG_1")], "server 1");
  recent.forget();
  assert.equal(recent.has(key("BAG_1")), false);
});
