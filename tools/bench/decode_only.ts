/**
 * Child process of the bench: a kafkajs consumer that only decodes (UTF-8 + JSON.parse) the messages
 * of a topic, with the same consumer settings as lib/batch_consumer.ts: the ceiling of a kafkajs
 * consumer process. Its group assigns no partition until all BENCH_PROCESSES members have joined, so
 * no process decodes alone first. Prints `{"decoded":N}` lines as it goes; runs until SIGTERM.
 * Environment: KAFKA_BROKERS, BENCH_TOPIC, BENCH_GROUP, BENCH_PROCESSES, CONSUMER_PARTITIONS_CONCURRENTLY.
 */
import { AssignerProtocol, Kafka, logLevel, type PartitionAssigner, PartitionAssigners } from "kafkajs";
import { Buffer } from "node:buffer";
import { environment, exit, onShutdownSignal } from "../../lib/infra/runtime.ts";
import { DecodeCounter } from "./decode_counter.ts";

const env = environment();
const processes = Number(env.BENCH_PROCESSES ?? "1");

/** Round robin once the whole group is there; nothing for anyone before. */
const allOrNothing: PartitionAssigner = (config) => {
  const roundRobin = PartitionAssigners.roundRobin(config);
  const name = "BenchAllOrNothing";
  return {
    name,
    version: roundRobin.version,
    assign: (group) => {
      if (group.members.length >= processes) return roundRobin.assign(group);
      const nothing = AssignerProtocol.MemberAssignment.encode({
        version: roundRobin.version,
        assignment: {},
        userData: Buffer.alloc(0),
      });
      return Promise.resolve(group.members.map(({ memberId }) => ({ memberId, memberAssignment: nothing })));
    },
    protocol: (subscription) => ({ ...roundRobin.protocol(subscription), name }),
  };
};

const kafka = new Kafka({
  clientId: "bench-decode-only",
  brokers: (env.KAFKA_BROKERS ?? "").split(","),
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({
  groupId: env.BENCH_GROUP ?? "bench-decode-only",
  partitionAssigners: [allOrNothing],
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  maxBytesPerPartition: 1_048_576,
});
const counter = new DecodeCounter();

await consumer.connect();
await consumer.subscribe({ topic: env.BENCH_TOPIC ?? "", fromBeginning: true });
await consumer.run({
  partitionsConsumedConcurrently: Number(env.CONSUMER_PARTITIONS_CONCURRENTLY ?? "2"),
  eachBatch: async ({ batch }) => {
    for (const message of batch.messages) {
      counter.decode(message.value);
    }
  },
});

onShutdownSignal(async () => {
  counter.stop();
  await consumer.disconnect();
  exit(0);
});
