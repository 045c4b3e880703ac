/**
 * The board's tests run the real pipeline in-process (consumers, a scanner following changes, the bridge) on
 * topics and a stream of their own, and the board as a real child process (to kill and restart it).
 */
import type { Redis } from "ioredis";
import { type Config, loadConfig } from "../../lib/infra/config.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { toWorkEntry, type WorkEntry } from "../../lib/stream/stream_reader.ts";
import { startBridge } from "../../lib/stream/work_bridge.ts";
import { testContext } from "./context.ts";
import { freshRedis, isolatedEnvironment, produce, testKafka } from "./fixtures.ts";
import { startTestArchiver } from "./archive.ts";
import { createScanner, startConsumers } from "./pipeline.ts";
import { testSchema } from "./postgres.ts";
import { startWorker, type WorkerProcess } from "./processes.ts";

const byId = (value: unknown) => (value as { id: string }).id;

/**
 * Consumers, one scanner (its follower started by the test after its first whole scan), the bridge, and the
 * archiver on a schema of its own, whose history endpoint the board asks (BOARD_HISTORY_URL in `env`).
 */
export async function boardPipeline(overrides: Record<string, string> = {}) {
  const base = isolatedEnvironment("arrival-scanner", {
    SCAN_MARKS_BATCH_MS: "100",
    HISTORY_HOST: "127.0.0.1",
    HISTORY_PORT: "0",
    ...overrides,
  });
  const config = loadConfig("arrival-scanner", base);
  const redis = await freshRedis(config);
  const kafka = testKafka(config);
  const consumers = await startConsumers(loadConfig("flight-consumer", base));
  const scanner = await createScanner(config);
  const bridgeContext = await testContext(loadConfig("bridge", base));
  const bridge = await startBridge(bridgeContext);
  const schema = await testSchema();
  const archiver = await startTestArchiver(
    loadConfig("archiver", { ...base, KAFKA_GROUP_ID: `${base.KAFKA_GROUP_ID}-archiver` }),
    schema,
  );
  const env = { ...base, BOARD_HISTORY_URL: archiver.historyUrl };
  return {
    env,
    historyUrl: archiver.historyUrl,
    config,
    redis,
    scanner,
    send: (topic: "flights" | "bags", values: readonly unknown[]) => produce(kafka, config.topics[topic], values, byId),
    /** Waits until Redis holds every key. */
    stored: (keys: readonly string[]) =>
      waitFor(async () => (await redis.exists(...keys)) === keys.length, 20_000, () => `not stored: ${keys}`),
    close: async () => {
      await archiver.close();
      await schema.drop();
      await scanner.close();
      await bridge.close();
      await bridgeContext.closeContext();
      await consumers.close();
      await redis.quit();
    },
  };
}

/** Every entry of the stream, in order. */
export async function streamEntries(redis: Redis, config: Config): Promise<WorkEntry[]> {
  return (await redis.xrange(config.stream.key, "-", "+") as [string, string[]][]).map(toWorkEntry);
}

/** A port nothing listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Starts the board process on `port` with `env` and waits until it serves. */
export async function startBoard(
  env: Record<string, string | undefined>,
  port: number,
  overrides: Record<string, string> = {},
): Promise<WorkerProcess> {
  const board = startWorker("readers/board.ts", {
    ...env,
    BOARD_HOST: "127.0.0.1",
    BOARD_PORT: String(port),
    LOG_LEVEL: "info",
    ...overrides,
  });
  await waitFor(() => board.output().includes('"board serving"'), 30_000, () => board.output());
  return board;
}
