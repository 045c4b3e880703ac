import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { ReplyError } from "ioredis";
import { toStoreResult } from "../../../lib/consume/partition_store.ts";
import {
  ClusterUnsettled,
  ConfigError,
  InvalidMessage,
  UnexpectedScriptReply,
  UnreadableData,
} from "../../../lib/infra/errors.ts";
import { createLogger } from "../../../lib/infra/log.ts";
import { canRetry, retryUntilDone } from "../../../lib/infra/retry.ts";

const { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } = kafkajs;
import { SCRIPT_CODES, type ScriptName, scriptSource } from "../../../lib/infra/scripts.ts";

Deno.test("the project's errors carry a code and say that retrying cannot help", () => {
  const errors = [
    new ConfigError("Cannot start", ["x"]),
    new InvalidMessage("x"),
    new UnreadableData("flight:id:x", "holds no JSON"),
    new UnexpectedScriptReply("upsert_bags", [7]),
  ];
  assert.deepEqual(errors.map((error) => error.code), [
    "CONFIG_INVALID",
    "MESSAGE_INVALID",
    "STORED_DATA_UNREADABLE",
    "SCRIPT_REPLY_UNKNOWN",
  ]);
  assert.deepEqual(errors.map(canRetry), [false, false, false, false]);
});

Deno.test("a Redis Cluster not settled (no master known for a slot, a call redirected again and again) can be retried", () => {
  const error = new ClusterUnsettled("slot 7 is not served");
  assert.deepEqual([error.code, error.message, canRetry(error)], [
    "CLUSTER_UNSETTLED",
    "Redis Cluster not settled: slot 7 is not served",
    true,
  ]);
});

Deno.test("canRetry() retries a server that is away, loading or failing over, and never a bug", () => {
  assert.equal(canRetry(new Error("Connection is closed.")), true);
  assert.equal(canRetry(new KafkaJSConnectionError("Connection error: ECONNREFUSED")), true);
  assert.equal(canRetry(new KafkaJSNumberOfRetriesExceeded(new Error("away"), { retryCount: 5, retryTime: 1 })), true);
  assert.equal(canRetry(new ReplyError("LOADING Redis is loading the dataset in memory")), true);
  assert.equal(canRetry(new ReplyError("BUSY Redis is busy running a script")), true);
  assert.equal(canRetry(new ReplyError("ERR user_script:12: attempt to compare nil with number")), false);
  assert.equal(canRetry(new ReplyError("NOPERM this user has no permissions to run the 'flushall' command")), false);
  // kafkajs builds protocol errors from Kafka's error table entry (type, code, retriable).
  const tooLarge = Object.assign(new Error("The request included a message larger than the max message size"), {
    type: "MESSAGE_TOO_LARGE",
    code: 10,
    retriable: false,
  });
  assert.equal(canRetry(new KafkaJSProtocolError(tooLarge)), false);
  assert.equal(canRetry(new TypeError("cannot read properties of undefined")), false);
  assert.equal(canRetry(new RangeError("invalid array length")), false);
});

Deno.test("toStoreResult() maps APPLIED and BEHIND, and throws UnexpectedScriptReply for a code nobody knows", () => {
  assert.deepEqual(toStoreResult("upsert_flights", [SCRIPT_CODES.APPLIED, 3, 2]), {
    status: "applied",
    applied: 3,
    inserted: 2,
  });
  assert.deepEqual(toStoreResult("upsert_flights", [SCRIPT_CODES.BEHIND, 41, 0]), { status: "behind", recorded: 41n });
  assert.throws(() => toStoreResult("upsert_bags", [7, 0, 0]), UnexpectedScriptReply);
});

Deno.test("the Lua scripts name their status codes only as SCRIPT_CODES defines them, never as bare numbers", () => {
  const scripts = [
    "upsert_flights",
    "upsert_bags",
    "mark_due_flights",
    "apply_baggage_messages",
    "append_work_entries",
    "claim_flight_work",
  ];
  for (const name of scripts as ScriptName[]) {
    const text = Deno.readTextFileSync(new URL(`../../../lua/${name}.lua`, import.meta.url));
    const code = text.split("\n").filter((line) => !line.trimStart().startsWith("--")).join("\n");
    assert.doesNotMatch(code, /return \{-?\d+,|result = -?\d+\b/, `${name}.lua returns a bare number`);
    // After the `#!lua` line when the script has one (its flags must come first).
    const shebang = text.startsWith("#!") ? text.slice(0, text.indexOf("\n") + 1) : "";
    assert.equal(
      scriptSource(name),
      shebang + "local APPLIED, BEHIND, UNCHANGED, CLAIMED_ELSEWHERE, STALE = 1, -20, 0, -1, -30\n" +
        text.slice(shebang.length),
    );
  }
});

Deno.test("retryUntilDone() backs off and retries what can heal, and throws at once what cannot", async () => {
  const logger = createLogger("test", "silent");
  let attempts = 0;
  const healed = await retryUntilDone(
    "reading",
    async () => {
      attempts += 1;
      if (attempts < 3) throw new Error("Connection is closed.");
      return "read";
    },
    logger,
    () => true,
  );
  assert.deepEqual({ healed, attempts }, { healed: "read", attempts: 3 });

  attempts = 0;
  await assert.rejects(
    retryUntilDone(
      "reading",
      async () => {
        attempts += 1;
        throw new UnexpectedScriptReply("upsert_bags", [7, 0, 0]);
      },
      logger,
      () => true,
    ),
    UnexpectedScriptReply,
  );
  assert.equal(attempts, 1);
});
