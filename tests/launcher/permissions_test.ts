import assert from "node:assert/strict";
import { loadConfig } from "../../lib/infra/config.ts";
import { denoPermissionFlags } from "../../launcher/permissions.ts";
import { PROCESSES } from "../../lib/processes.ts";

Deno.test("denoPermissionFlags() allows only the configured brokers, Redis and metrics address", () => {
  const config = loadConfig("bag-consumer", {
    KAFKA_BROKERS: "kafka-1:9092,kafka-2:9092",
    REDIS_URL: "redis://worker:secret@redis.internal:6380/2",
    METRICS_HOST: "10.0.0.5",
  });
  assert.deepEqual(denoPermissionFlags(PROCESSES["bag-consumer"], config), [
    "--allow-net=kafka-1:9092,kafka-2:9092,redis.internal:6380,10.0.0.5:8002",
    "--allow-env",
    "--allow-sys=hostname",
    "--allow-read=/proc/self",
  ]);
});

Deno.test("denoPermissionFlags() gives the archiver its brokers, PostgreSQL, metrics and history addresses, and no Redis", () => {
  const config = loadConfig("archiver", {
    KAFKA_BROKERS: "kafka-1:9092",
    POSTGRES_URL: "postgres://archiver:secret@pg.internal/baggage_router",
    METRICS_HOST: "10.0.0.5",
    HISTORY_HOST: "10.0.0.6",
  });
  assert.deepEqual(
    denoPermissionFlags(PROCESSES.archiver, config)[0],
    "--allow-net=kafka-1:9092,pg.internal:5432,10.0.0.5:8008,10.0.0.6:8007",
  );
});

Deno.test("denoPermissionFlags() allows both loopback names, since a local broker may advertise either", () => {
  const config = loadConfig("flight-consumer", {});
  assert.equal(
    denoPermissionFlags(PROCESSES["flight-consumer"], config)[0],
    "--allow-net=localhost:9092,127.0.0.1:9092,localhost:6379,127.0.0.1:6379,0.0.0.0:8001",
  );
});

Deno.test("a worker's permissions refuse reading a file outside the project and any address not configured", async () => {
  const flags = denoPermissionFlags(PROCESSES["flight-consumer"], loadConfig("flight-consumer", {}));
  const probe = `
    const results = [];
    for (const attempt of [() => Deno.readTextFileSync("/etc/hostname"), () => Deno.readTextFileSync("deno.json"),
        async () => (await Deno.connect({ hostname: "127.0.0.1", port: 22 })).close()]) {
      try { await attempt(); results.push("allowed"); } catch (error) { results.push(error.name); }
    }
    console.log(JSON.stringify(results));`;
  const path = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(path, probe);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), ["NotCapable", "NotCapable", "NotCapable"]);
  } finally {
    await Deno.remove(path);
  }
});
