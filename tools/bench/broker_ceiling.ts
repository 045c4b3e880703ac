/**
 * The broker alone: Kafka's own ProducerPerformance and ConsumerPerformance classes (kafka-tools, in
 * the stack's cached jars) on loopback, the ceiling for any Kafka client here.
 */
import { BENCH_BROKERS, benchKafkaClasspath } from "./bench_stack.ts";
import { runToEnd } from "../processes.ts";
import { environment } from "../../lib/infra/runtime.ts";

/** Runs Kafka's tool `tool` (a class of org.apache.kafka.tools) with `args`; resolves with its output. */
function kafkaTool(tool: string, args: readonly string[]): Promise<string> {
  const { classpath, log4j } = benchKafkaClasspath();
  return runToEnd("java", [log4j, "-cp", classpath, `org.apache.kafka.tools.${tool}`, ...args], environment());
}

/** Kafka's ProducerPerformance: `records` records of `recordBytes` bytes, acks=all like our producers; records/s. */
export async function brokerProduceCeiling(topic: string, records: number, recordBytes: number): Promise<number> {
  const output = await kafkaTool("ProducerPerformance", [
    "--topic",
    topic,
    "--num-records",
    String(records),
    "--record-size",
    String(recordBytes),
    "--throughput",
    "-1",
    "--producer-props",
    `bootstrap.servers=${BENCH_BROKERS}`,
    "acks=all",
  ]);
  // The last summary line: "N records sent, R records/sec (M MB/sec), …".
  const summaries = [...output.matchAll(/(\d+) records sent, ([\d.]+) records\/sec/g)];
  const last = summaries.at(-1);
  if (!last) throw new Error(`ProducerPerformance printed no summary:\n${output}`);
  return Number(last[2]);
}

/** Kafka's ConsumerPerformance reading `messages` messages of `topic` from the start; messages/s while fetching. */
export async function brokerConsumeCeiling(topic: string, messages: number, group: string): Promise<number> {
  const output = await kafkaTool("ConsumerPerformance", [
    "--bootstrap-server",
    BENCH_BROKERS,
    "--topic",
    topic,
    "--messages",
    String(messages),
    "--group",
    group,
    "--timeout",
    "30000",
  ]);
  // Header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec (the last excludes the group join).
  const lines = output.trim().split("\n");
  const header = lines.findIndex((line) => line.startsWith("start.time"));
  const row = lines[header + 1]?.split(",").map((field) => field.trim());
  const columns = lines[header]?.split(",").map((field) => field.trim()) ?? [];
  const fetchRate = Number(row?.[columns.indexOf("fetch.nMsg.sec")]);
  const consumed = Number(row?.[columns.indexOf("data.consumed.in.nMsg")]);
  if (header < 0 || !Number.isFinite(fetchRate) || consumed < messages) {
    throw new Error(`ConsumerPerformance did not read ${messages} messages:\n${output}`);
  }
  return fetchRate;
}
