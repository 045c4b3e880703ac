/**
 * `deno task bench:clients [--bags N] [--processes K] [--rounds R] [--seed S] [--partitions P] [--keep-stack]`:
 * kafkajs and @platformatic/kafka side by side (issue 7). On a stack of its own (.stack/clients, Redis
 * 27379, Kafka 28092, so it never meets the main bench) it produces the seeded bags once, then runs
 * the decode-only consumers of both clients in turns (ABAB…, K processes each, a fresh group each time)
 * over the same topic: messages/s from the first decoded message (all processes joined) to the last,
 * and CPU time per message of each consumer process and of the broker over that window.
 * Progress goes to stderr, the table to stdout, the figures to tools/bench/results/kafka-clients-<date>.json.
 */
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import { delay } from "../../lib/infra/poll.ts";
import { connectRedis } from "../../lib/infra/redis.ts";
import { commandArgs, environment, exit } from "../../lib/infra/runtime.ts";
import { kafkaPid } from "../stack/kafka_broker.ts";
import { loadStackSettings } from "../stack/settings.ts";
import { createTopics, deleteOldTopics, messageCount, topicEnds } from "./bench_stack.ts";
import { CpuMeter, cpuPerUnit } from "./cpu.ts";
import { describeMachine } from "./machine.ts";
import { type BenchOptions, datasetOptions } from "./options.ts";
import { type ChildProcess, ROOT, runToEnd, spawnChild, taskArgs } from "../processes.ts";
import { produceDataset } from "./produce.ts";
import { workerArgs } from "./workers.ts";
import { type Client, CLIENTS, type Round, summarize, table, writeResults } from "./kafka_clients_report.ts";

/** This measurement's own stack: its folder and ports differ from the dev, test and bench stacks. */
const STACK_ENV = {
  STACK_DIR: ".stack/clients",
  STACK_REDIS_PORT: "27379",
  STACK_KAFKA_PORT: "28092",
  STACK_KAFKA_CONTROLLER_PORT: "28093",
  // Kafka clients only: no PostgreSQL.
  STACK_POSTGRES_PORT: "0",
} as const;
const BROKERS = `127.0.0.1:${STACK_ENV.STACK_KAFKA_PORT}`;
const REDIS_URL = `redis://127.0.0.1:${STACK_ENV.STACK_REDIS_PORT}/0`;
const TOPIC_PREFIX = "clients.";
/** Files a client reads beyond the workers' --allow-read=/proc/self: @platformatic/kafka loads its LZ4/Snappy WebAssembly from disk. */
const EXTRA_READS: Record<Client, string[]> = {
  kafkajs: [],
  platformatic: [`${ROOT}node_modules/@platformatic/wasm-utils/dist/native.wasm`],
};
const POLL_MS = 50;
/** kafkajs under Deno warns once per process about a negative timer (its retry maths); harmless. */
const NOISE = /TimeoutNegativeWarning|^Timeout duration was set to 1\.$/;
const NO_PROGRESS_MS = 60_000;

const USAGE = "usage: deno task bench:clients [--bags N (default 1000000)] [--processes K (default 2)] " +
  "[--rounds R (default 2)] [--seed S (default 1)] [--partitions P (default 6)] [--keep-stack]";

interface Options {
  readonly bags: number;
  readonly processes: number;
  readonly rounds: number;
  readonly seed: number;
  readonly partitions: number;
  readonly keepStack: boolean;
}

/** Parses the arguments; throws with USAGE on anything unknown or invalid. */
function parseOptions(args: readonly string[]): Options {
  const options = { bags: 1_000_000, processes: 2, rounds: 2, seed: 1, partitions: 6, keepStack: false };
  const limits = {
    bags: [1_000, 50_000_000],
    processes: [1, 8],
    rounds: [1, 20],
    seed: [0, 2 ** 32 - 1],
    partitions: [1, 64],
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split("=", 2) as [string, string | undefined];
    const name = flag.slice(2) as keyof typeof limits;
    if (flag === "--keep-stack") {
      options.keepStack = true;
    } else if (flag.startsWith("--") && name in limits) {
      const value = inline ?? args[++i];
      const parsed = Number(value?.replaceAll("_", ""));
      const [min, max] = limits[name] as [number, number];
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        throw new Error(`${flag} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}\n${USAGE}`);
      }
      options[name] = parsed;
    } else {
      throw new Error(`unknown argument ${JSON.stringify(args[i])}\n${USAGE}`);
    }
  }
  return Object.freeze(options);
}

const stackEnv = () => ({ ...environment(), ...STACK_ENV });
const stack = (command: "up" | "down") => runToEnd(Deno.execPath(), [...taskArgs("stack"), command], stackEnv());
const step = (message: string) => console.error(`bench:clients: ${message}`);

/** Runs `processes` decode-only processes of `client` until they decoded `messages` messages of `topic`. */
async function decodeRound(client: Client, round: number, topic: string, messages: number, processes: number) {
  const env = {
    ...environment(),
    KAFKA_BROKERS: BROKERS,
    REDIS_URL,
    BAGS_TOPIC: topic,
    BENCH_TOPIC: topic,
    BENCH_GROUP: `${topic}.${client}.${round}`,
    BENCH_PROCESSES: String(processes),
  };
  // The bag consumer's own permission flags, with the decode-only script of the client.
  const flags = workerArgs("bag-consumer", env).slice(0, -1)
    .map((flag) => flag.startsWith("--allow-read=") ? [flag, ...EXTRA_READS[client]].join(",") : flag);
  const args = [...flags, CLIENTS[client]];
  const loadAverage = Deno.loadavg()[0] ?? 0;
  const decoded: number[] = new Array(processes).fill(0);
  const spawned = performance.now();
  const children: ChildProcess[] = Array.from({ length: processes }, (_, index) =>
    spawnChild({
      name: `${client}-${index + 1}`,
      command: Deno.execPath(),
      args,
      env,
      onLine: (line) => {
        const count = /^\{"decoded":(\d+)/.exec(line)?.[1];
        if (count !== undefined) decoded[index] = Number(count);
        else if (line.trim() !== "" && !NOISE.test(line)) console.error(`${client}-${index + 1}: ${line}`);
      },
    }));
  const exited = children.map(() => false);
  children.forEach((child, index) => child.exited.then(() => (exited[index] = true)));
  const pids = {
    ...Object.fromEntries(children.map((child) => [child.name, child.pid])),
    "kafka-broker": kafkaPid(loadStackSettings(stackEnv())) ?? 0,
  };
  const sum = () => decoded.reduce((total, count) => total + count, 0);
  try {
    // The window opens at the first poll that sees a message decoded: both scripts fetch nothing until all joined.
    let start: { at: number; counts: number[]; cpu: CpuMeter } | undefined;
    let moved = { at: performance.now(), value: 0 };
    while (sum() < messages) {
      await delay(POLL_MS);
      const gone = exited.indexOf(true);
      if (gone >= 0) throw new Error(`${children[gone]!.name} exited:\n${children[gone]!.tail()}`);
      const value = sum();
      if (value > moved.value) {
        if (start === undefined) {
          const cpu = new CpuMeter(pids).start();
          start = { at: performance.now(), counts: [...decoded], cpu };
        }
        moved = { at: performance.now(), value };
      } else if (performance.now() - moved.at > NO_PROGRESS_MS) {
        throw new Error(`${client}: no progress for ${NO_PROGRESS_MS} ms at ${value} of ${messages}`);
      }
    }
    const end = { at: performance.now(), counts: [...decoded] };
    const used = start!.cpu.stop();
    const seconds = Math.max(0.001, (end.at - start!.at) / 1000);
    const units = end.counts.reduce((total, count, index) => total + count - start!.counts[index]!, 0);
    const cpu = cpuPerUnit(used, units);
    cpu.consumers = children.reduce((total, child) => total + (cpu[child.name] ?? 0), 0);
    const peakRssBytes = children.map((child) => child.peakRssBytes());
    const exitCodes = await Promise.all(children.map((child) => child.stop(10_000)));
    return {
      client,
      round,
      messages: units,
      seconds,
      perSecond: units / seconds,
      processPerSecond: end.counts.map((count, index) => (count - start!.counts[index]!) / seconds),
      joinSeconds: (start!.at - spawned) / 1000,
      extraDecoded: sum() - messages,
      cpuMicrosecondsPerMessage: cpu,
      peakRssBytes,
      loadAverage,
      exitCodes,
    } satisfies Round;
  } finally {
    await Promise.all(children.map((child) => child.stop(5_000)));
  }
}

let options: Options;
try {
  options = parseOptions(commandArgs());
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  exit(2);
}
const startedAt = new Date().toISOString();
const loadAverageAtStart = Deno.loadavg()[0] ?? 0;
step(`starting its stack (redis ${STACK_ENV.STACK_REDIS_PORT}, kafka ${STACK_ENV.STACK_KAFKA_PORT}, .stack/clients)`);
await stack("up");
let failed = false;
try {
  const kafka = new Kafka({ clientId: "bench-clients", brokers: [BROKERS], logLevel: logLevel.NOTHING });
  await deleteOldTopics(kafka, TOPIC_PREFIX);
  const runId = Date.now().toString(36);
  const topics = { flights: `${TOPIC_PREFIX}${runId}.flights`, bags: `${TOPIC_PREFIX}${runId}.bags` };
  await createTopics(kafka, Object.values(topics), options.partitions);
  const benchOptions: BenchOptions = { ...options, consumers: options.processes, cpuProf: false, freshnessSeconds: 0 };
  const dataset = datasetOptions(benchOptions, Math.floor(Date.now() / 1000) + 600);
  step(`producing ${options.bags} bags to ${topics.bags} (${options.partitions} partitions)`);
  const produced = await produceDataset(kafka, topics, dataset);
  const messages = messageCount(await topicEnds(kafka, topics.bags));
  const rounds: Round[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const client of Object.keys(CLIENTS) as Client[]) {
      step(`round ${round}: ${client} decode-only, ${options.processes} processes, ${messages} messages`);
      const result = await decodeRound(client, round, topics.bags, messages, options.processes);
      step(
        `round ${round}: ${client} ${result.perSecond.toFixed(0)} msgs/s, ` +
          `${result.cpuMicrosecondsPerMessage.consumers?.toFixed(2)} µs/msg in the consumers`,
      );
      rounds.push(result);
    }
  }
  const summary = summarize(rounds);
  const redis = await connectRedis(REDIS_URL, "bench-clients");
  const machine = await describeMachine(redis, loadAverageAtStart);
  await redis.quit();
  const imports = JSON.parse(readFileSync(`${ROOT}import_map.json`, "utf8")).imports ?? {};
  const platformaticVersion = String(imports["@platformatic/kafka"] ?? "").replace(/^npm:.*@/, "");
  console.log(table(rounds, summary, options.processes));
  const path = writeResults({
    startedAt,
    options,
    machine: { ...machine, versions: { ...machine.versions, platformaticKafka: platformaticVersion } },
    dataset: { bagsSent: produced.bagsSent, messages, averageBagMessageBytes: Math.round(produced.averageBagBytes) },
    rounds,
    summary,
  }, startedAt);
  step(`results written to ${path}`);
} catch (error) {
  failed = true;
  console.error(`bench:clients: failed: ${error instanceof Error ? error.stack : String(error)}`);
} finally {
  if (!options.keepStack) {
    step("stopping its stack (--keep-stack leaves it running)");
    await stack("down").catch((error) => console.error(`bench:clients: stack down failed: ${error}`));
  }
}
exit(failed ? 1 : 0);
