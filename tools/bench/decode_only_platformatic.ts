/**
 * Child process of `deno task bench:clients`: bench/decode_only.ts built on @platformatic/kafka instead
 * of kafkajs. It reads the topic from the beginning in a consumer group, decodes each value (UTF-8 +
 * JSON.parse) and prints `{"decoded":N}` lines as it goes; runs until SIGTERM. Like decode_only.ts, no
 * process decodes alone first: nothing is fetched until all BENCH_PROCESSES members share the partitions.
 * Environment: KAFKA_BROKERS, BENCH_TOPIC, BENCH_GROUP, BENCH_PROCESSES (CONSUMER_PARTITIONS_CONCURRENTLY has
 * no equivalent: the stream has one fetch in flight per broker for all its partitions).
 */
import {
  Consumer,
  type ConsumerGroupJoinPayload,
  type GroupPartitionsAssigner,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  roundRobinAssigner,
} from "@platformatic/kafka";
import { environment, exit, onShutdownSignal } from "../../lib/infra/runtime.ts";
import { DecodeCounter } from "./decode_counter.ts";

const env = environment();
const processes = Number(env.BENCH_PROCESSES ?? "1");
const topic = env.BENCH_TOPIC ?? "";

/** Round robin once the whole group is there; nothing for anyone before. */
const allOrNothing: GroupPartitionsAssigner = (current, members, topics, metadata) =>
  members.size >= processes
    ? roundRobinAssigner(current, members, topics, metadata)
    : [...members.keys()].map((memberId) => ({ memberId, assignments: new Map() }));

// The settings of decode_only.ts (and lib/batch_consumer.ts) where the two clients have the same knob;
// maxBytes is kafkajs' default (10 MB). The rest are the library's defaults, which its README tunes for
// throughput (a 1024-message stream buffer).
const consumer = new Consumer({
  clientId: "bench-decode-only-platformatic",
  bootstrapBrokers: (env.KAFKA_BROKERS ?? "").split(","),
  groupId: env.BENCH_GROUP ?? "bench-decode-only-platformatic",
  partitionAssigner: allOrNothing,
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  maxBytes: 10_485_760,
  maxBytesPerPartition: 1_048_576,
});

// The library gives a member that is alone in its group every partition without asking the assigner:
// the stream stays without a reader (so it fetches nothing) until this member's share is the group's.
const partitions = (await consumer.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0;
const { promise: whole, resolve: shareReady } = Promise.withResolvers<void>();
consumer.on("consumer:group:join", ({ assignments = [] }: ConsumerGroupJoinPayload) => {
  const mine = assignments.reduce((sum, { partitions }) => sum + partitions.length, 0);
  if (mine > 0 && (processes === 1 || mine < partitions)) shareReady();
});

const stream = await consumer.consume({
  topics: [topic],
  mode: MessagesStreamModes.COMMITTED,
  fallbackMode: MessagesStreamFallbackModes.EARLIEST,
  autocommit: true,
});
const counter = new DecodeCounter();

onShutdownSignal(async () => {
  counter.stop();
  await stream.close();
  await consumer.close();
  exit(0);
});

stream.on("error", (error) => {
  console.error(`decode_only_platformatic: ${error instanceof Error ? error.stack : String(error)}`);
  exit(1);
});

await whole;
// The stream's 'data' event is the library's fastest path: no promise per message (its README's option 1).
stream.on("data", (message) => {
  counter.decode(message.value);
});
