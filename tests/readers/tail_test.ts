import assert from "node:assert/strict";
import { PROCESSES } from "../../lib/processes.ts";
import { isolatedEnvironment } from "../_helpers/fixtures.ts";
import { startWorker, waitUntilStarted } from "../_helpers/processes.ts";

Deno.test("the tail builds only what the registry says it needs: its /healthz checks Redis alone, Kafka unreachable", async () => {
  // A broker address nothing listens on: the tail starts and is healthy all the same.
  const env = isolatedEnvironment("tail", { KAFKA_BROKERS: "127.0.0.1:1", METRICS_PORT: "0", LOG_LEVEL: "info" });
  const tail = startWorker(PROCESSES.tail.entrypoint, env);
  try {
    await waitUntilStarted(tail, "tail");
    const started = tail.output().split("\n").find((line) => line.includes('"tail started"'))!;
    const port = (JSON.parse(started) as { metrics_port: number }).metrics_port;
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "ok", checks: { redis: "ok" } });
    assert.equal(await tail.kill("SIGTERM"), 0, tail.output());
  } finally {
    await tail.kill("SIGKILL");
  }
});
