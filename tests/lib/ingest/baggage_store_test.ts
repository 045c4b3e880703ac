/**
 * The baggage store (lua/apply_baggage_messages.lua): bag operations of BSMs and BTMs applied to the bags and to
 * the manifests of their flights, exactly once per offset, with refusals kept until they are dead-lettered.
 */
import assert from "node:assert/strict";
import type { StoreRequest, StoreResult } from "../../../lib/consume/partition_store.ts";
import type { BaggageRecord, BagOperation } from "../../../lib/ingest/baggage_records.ts";
import { createBaggageStore } from "../../../lib/ingest/baggage_store.ts";
import { loadScript, SCRIPT_CODES } from "../../../lib/infra/scripts.ts";
import { freshRedis, testConfig } from "../../_helpers/fixtures.ts";
import { snapshot } from "../../_helpers/redis_state.ts";

const T = 1_800_000_000 - (1_800_000_000 % 3600);
const TOPIC = "baggage_messages";
const RETENTION = 86_400;
/** The window [T - 300, T + 600] as the consumer's clock has it. */
const WINDOW = { clock: () => T, windowSeconds: 600, graceSeconds: 300 };
const IN = "BA0117-2027-01-15";
const OUT = "BA0282-2027-01-15";
const OTHER = "BA0286-2027-01-15";
/** When an unscheduled flight of 2027-01-15 expires: the end of its day plus the retention. */
const EXPIRES = Date.UTC(2027, 0, 16) / 1000 + RETENTION;

/** An operation, its tag's `.N` on line 3 of its message. */
const op = (action: BagOperation["action"], tag: string, flights: string[], exceptions: string[] = []) => ({
  action,
  tag,
  flights,
  exceptions,
  line: 3,
});
const bsm = (...operations: BagOperation[]): BaggageRecord => ({ kind: "operations", type: "BSM", operations });

async function setup() {
  const redis = await freshRedis(testConfig("bag-consumer"));
  const store = await createBaggageStore(redis, TOPIC, WINDOW, RETENTION);
  let next = 0;
  /** Stores the records as one chunk at the next offsets; `requiredOffset` as the consumer would give it. */
  const apply = async (records: BaggageRecord[], requiredOffset = -1n, from = next): Promise<StoreResult> => {
    const request: StoreRequest<BaggageRecord> = {
      partition: 0,
      requiredOffset,
      lastOffset: String(from + records.length - 1),
      records: records.map((record, i) => ({ offset: String(from + i), record })),
    };
    next = Math.max(next, from + records.length);
    return await store.store(request);
  };
  return { redis, apply };
}

Deno.test("a BSM adds its bag to the itinerary and to each flight's manifest; an unscheduled flight expires", async () => {
  const { redis, apply } = await setup();
  try {
    await redis.hset(`flight:id:${IN}`, { departure_time: T - 3600, arrival_time: T + 300, bags: "[]" });
    await redis.zadd("flight:arrival_times", T + 300, IN);
    const result = await apply([
      bsm(op("add", "0125728359", [IN, OUT], ["RUSH"])),
      bsm(op("add", "0125728360", [IN, OUT])),
    ]);
    assert.deepEqual(result, { status: "applied", applied: 2, inserted: 2, refused: [] });
    assert.deepEqual(await snapshot(redis, "[bfw]*"), {
      "bag:count": "2",
      "bag:id:0125728359": { flights: `["${IN}","${OUT}"]`, exceptions: "RUSH" },
      [`flight:bag_exceptions:${IN}`]: { "0125728359": "RUSH" },
      [`flight:bag_exceptions:${OUT}`]: { "0125728359": "RUSH" },
      "bag:id:0125728360": { flights: `["${IN}","${OUT}"]` },
      "flight:arrival_times": [IN, String(T + 300)],
      [`flight:id:${IN}`]: {
        departure_time: String(T - 3600),
        arrival_time: String(T + 300),
        bags: '["0125728359","0125728360"]',
      },
      [`flight:id:${OUT}`]: { bags: '["0125728359","0125728360"]' },
      // The due inbound flight's work changed.
      "work:marks": [IN, String(T * 1000)],
    });
    assert.equal(await redis.ttl(`flight:id:${IN}`), -1);
    assert.equal(await redis.expiretime(`flight:id:${OUT}`), EXPIRES);
    assert.equal(await redis.expiretime(`flight:bag_exceptions:${OUT}`), EXPIRES);
  } finally {
    await redis.quit();
  }
});

Deno.test("a CHG moves a bag to another flight, a DEL removes it everywhere, and an empty unscheduled flight goes", async () => {
  const { redis, apply } = await setup();
  try {
    await apply([bsm(op("add", "0125728359", [IN, OUT], ["RUSH"])), bsm(op("add", "0125728360", [IN]))]);
    assert.deepEqual(await apply([bsm(op("change", "0125728359", [IN, OTHER]))]), {
      status: "applied",
      applied: 1,
      inserted: 0,
      refused: [],
    });
    // The CHG has no .E: the bag's exceptions go, from it and from its flights.
    assert.deepEqual(await snapshot(redis, "[bf]*"), {
      "bag:count": "2",
      "bag:id:0125728359": { flights: `["${IN}","${OTHER}"]` },
      "bag:id:0125728360": { flights: `["${IN}"]` },
      [`flight:id:${IN}`]: { bags: '["0125728359","0125728360"]' },
      [`flight:id:${OTHER}`]: { bags: '["0125728359"]' },
    });
    assert.deepEqual(await apply([bsm(op("delete", "0125728359", []))]), {
      status: "applied",
      applied: 1,
      inserted: 0,
      refused: [],
    });
    assert.deepEqual(await snapshot(redis, "[bf]*"), {
      "bag:count": "1",
      "bag:id:0125728360": { flights: `["${IN}"]` },
      [`flight:id:${IN}`]: { bags: '["0125728360"]' },
    });
  } finally {
    await redis.quit();
  }
});

Deno.test("a CHG or DEL of an unknown tag is refused, and the refusal is returned again on a redelivery until dead-lettered", async () => {
  const { redis, apply } = await setup();
  try {
    const chunk = [
      bsm(op("change", "0000000001", [IN])),
      bsm(op("add", "0125728359", [IN])),
      bsm(op("delete", "0000000002", []), op("delete", "0000000003", [])),
    ];
    const refused = [
      { offset: "0", reason: "line 3: CHG for unknown tag 0000000001" },
      { offset: "2", reason: "line 3: DEL for unknown tag 0000000002; line 3: DEL for unknown tag 0000000003" },
    ];
    assert.deepEqual(await apply(chunk), { status: "applied", applied: 1, inserted: 1, refused });
    // A crash before the dead letters were sent: the group's offset is still before the chunk.
    assert.deepEqual(await apply(chunk, -1n, 0), { status: "applied", applied: 0, inserted: 0, refused });
    assert.deepEqual(await snapshot(redis, "bag:*"), {
      "bag:count": "1",
      "bag:id:0125728359": { flights: `["${IN}"]` },
    });
    // The next chunk comes once they were sent: they are forgotten.
    await apply([bsm(op("add", "0125728360", [IN]))], 2n);
    assert.deepEqual(await redis.hgetall(`offsets:${TOPIC}:refused:0`), {});
  } finally {
    await redis.quit();
  }
});

Deno.test("a chunk is applied once: a redelivery changes nothing, and Redis behind what was stored is reported", async () => {
  const { redis, apply } = await setup();
  try {
    const chunk = [bsm(op("add", "0125728359", [IN, OUT])), bsm(op("change", "0125728359", [IN, OTHER]))];
    await apply(chunk);
    const before = await snapshot(redis);
    assert.deepEqual(await apply(chunk, -1n, 0), { status: "applied", applied: 0, inserted: 0, refused: [] });
    assert.deepEqual(await snapshot(redis), before);
    assert.deepEqual(await apply([bsm(op("add", "0125728361", [IN]))], 5n), { status: "behind", recorded: 1n });
  } finally {
    await redis.quit();
  }
});

Deno.test("apply_baggage_messages.lua writes nothing and answers STALE when a bag is not as the caller read it", async () => {
  const { redis } = await setup();
  try {
    await redis.hset("bag:id:0125728359", "flights", `["${OTHER}"]`);
    const script = await loadScript(redis, "apply_baggage_messages");
    const keys = [
      "bag:count",
      `offsets:${TOPIC}`,
      "flight:arrival_times",
      "work:marks",
      `offsets:${TOPIC}:refused:0`,
      "bag:id:0125728359",
      `flight:id:${IN}`,
    ];
    // Read as unknown (""), while the JSON bag consumer stored it meanwhile: its flight is not among the keys.
    const args = [0, -1, 0, T - 300, T + 600, T * 1000, 1, 1, "", "", IN, EXPIRES, "0", "A", "1", "1", `["${IN}"]`, ""];
    assert.deepEqual(await script.run(keys, args), [SCRIPT_CODES.STALE, 0, 0, 0]);
    assert.deepEqual(await snapshot(redis), { "bag:id:0125728359": { flights: `["${OTHER}"]` } });
  } finally {
    await redis.quit();
  }
});
