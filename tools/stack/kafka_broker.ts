/**
 * The stack's Kafka: KRaft nodes (broker and controller in one JVM each) run with `java` from jars that Maven
 * resolves from Maven Central into a cache folder once. The single topology runs one (`startKafka`); the cluster
 * topology three of the same kind (kafka_cluster.ts).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { waitFor } from "../../lib/infra/poll.ts";
import { requireFreePort, runningPid, startDetached, stopRecorded } from "./daemons.ts";
import { onPath, runSync } from "../processes.ts";
import type { StackSettings } from "./settings.ts";

const LOG4J_VERSION = "2.24.3";

/** One KRaft node (broker and controller in one JVM) of a quorum: its id, ports and folder. */
export interface KafkaNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  /** 0: no SASL listener. */
  readonly saslPort: number;
  /** Its folder: server.properties, kafka.log, kafka.pid and data/. */
  readonly home: string;
  /** For messages: "Kafka", "Kafka node 2". */
  readonly label: string;
}

/** The nodes of one Kafka cluster and the replication its topics get. */
export interface KafkaQuorum {
  readonly nodes: readonly KafkaNode[];
  /** Replication factor of new and internal topics; min.insync.replicas is one less (at least 1). */
  readonly replicationFactor: number;
}

const files = (node: KafkaNode) => ({
  data: join(node.home, "data"),
  properties: join(node.home, "server.properties"),
  log: join(node.home, "kafka.log"),
  pid: join(node.home, "kafka.pid"),
});

/** The single topology's one node, in `<STACK_DIR>/kafka`. */
function singleQuorum(settings: StackSettings): KafkaQuorum {
  const node = {
    id: 1,
    port: settings.kafkaPort,
    controllerPort: settings.kafkaControllerPort,
    saslPort: settings.kafkaSaslPort,
    home: join(settings.dir, "kafka"),
    label: "Kafka",
  };
  return { nodes: [node], replicationFactor: 1 };
}

/** The classpath of the cached Kafka jars, resolving them with Maven the first time. */
export function kafkaClasspath(settings: StackSettings): string {
  const libs = join(settings.jarsDir, "libs");
  const complete = join(settings.jarsDir, ".complete");
  if (!existsSync(complete)) {
    if (!onPath("mvn") || !onPath("java")) throw new Error("The Kafka stack needs `java` (17+) and `mvn` on PATH.");
    console.error(`stack: resolving Kafka ${settings.kafkaVersion} jars from Maven Central into ${settings.jarsDir}…`);
    mkdirSync(settings.jarsDir, { recursive: true });
    writeFileSync(join(settings.jarsDir, "pom.xml"), kafkaPom(settings.kafkaVersion));
    runSync("mvn", [
      "-q",
      "-B",
      "dependency:copy-dependencies",
      "-DincludeScope=runtime",
      `-DoutputDirectory=${libs}`,
    ], { cwd: settings.jarsDir });
    writeFileSync(join(settings.jarsDir, "log4j2.properties"), LOG4J_PROPERTIES);
    writeFileSync(complete, new Date().toISOString());
  }
  return `${libs}/*`;
}

function kafkaPom(version: string): string {
  const dependency = (group: string, artifact: string, v: string) =>
    `<dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${v}</version></dependency>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local.baggage-router</groupId><artifactId>kafka-runtime</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
${dependency("org.apache.kafka", "kafka_2.13", version)}
${dependency("org.apache.kafka", "kafka-tools", version)}
${dependency("org.apache.logging.log4j", "log4j-slf4j-impl", LOG4J_VERSION)}
</dependencies></project>
`;
}

const LOG4J_PROPERTIES = `rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = info
`;

function serverProperties(quorum: KafkaQuorum, node: KafkaNode): string {
  const host = "127.0.0.1";
  const sasl = node.saslPort !== 0;
  const clientListeners = [`PLAINTEXT://${host}:${node.port}`];
  if (sasl) clientListeners.push(`SASL_PLAINTEXT://${host}:${node.saslPort}`);
  const rf = quorum.replicationFactor;
  const minIsr = Math.max(1, rf - 1);
  return [
    "process.roles=broker,controller",
    `node.id=${node.id}`,
    `controller.quorum.voters=${quorum.nodes.map(({ id, controllerPort }) => `${id}@${host}:${controllerPort}`)}`,
    `listeners=${[...clientListeners, `CONTROLLER://${host}:${node.controllerPort}`].join(",")}`,
    `advertised.listeners=${clientListeners.join(",")}`,
    "controller.listener.names=CONTROLLER",
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${
      sasl ? ",SASL_PLAINTEXT:SASL_PLAINTEXT" : ""
    }`,
    "inter.broker.listener.name=PLAINTEXT",
    ...(sasl
      ? [
        "sasl.enabled.mechanisms=SCRAM-SHA-512",
        "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;",
      ]
      : []),
    `log.dirs=${files(node).data}`,
    "num.partitions=6",
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${rf}`,
    "offsets.topic.num.partitions=6",
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=false",
    // The log cleaner allocates its whole dedupe buffer (128 MiB by default) in one piece at start: in a small heap
    // (the tests' 256m) that allocation can fail and stop the broker. The stack's compacted topics are small.
    "log.cleaner.dedupe.buffer.size=33554432",
    "",
  ].join("\n");
}

/** Creates (or updates) the SASL SCRAM-SHA-512 user through the plaintext listener; idempotent. */
export function ensureScramUser(settings: StackSettings): void {
  if (settings.kafkaSaslPort === 0 || settings.kafkaSaslPassword === undefined) return;
  runSync("java", [
    log4jOption(settings),
    "-cp",
    kafkaClasspath(settings),
    "kafka.admin.ConfigCommand",
    "--bootstrap-server",
    `127.0.0.1:${settings.kafkaPort}`,
    "--alter",
    "--add-config",
    `SCRAM-SHA-512=[iterations=4096,password=${settings.kafkaSaslPassword}]`,
    "--entity-type",
    "users",
    "--entity-name",
    settings.kafkaSaslUser,
  ]);
}

const log4jOption = (settings: StackSettings) =>
  `-Dlog4j2.configurationFile=${join(settings.jarsDir, "log4j2.properties")}`;

/**
 * Starts `node` of `quorum` unless its recorded process runs, without waiting for it: checks its ports are free,
 * writes its properties, and formats its storage once with `clusterId()` (every node of a quorum needs the same).
 */
export async function launchKafkaNode(
  settings: StackSettings,
  quorum: KafkaQuorum,
  node: KafkaNode,
  clusterId: () => string,
): Promise<void> {
  const f = files(node);
  if (runningPid(f.pid) !== undefined) return;
  await requireFreePort(node.port, node.label, "STACK_KAFKA_PORT");
  await requireFreePort(node.controllerPort, `${node.label}'s controller`, "STACK_KAFKA_CONTROLLER_PORT");
  if (node.saslPort !== 0) {
    await requireFreePort(node.saslPort, `${node.label}'s SASL listener`, "STACK_KAFKA_SASL_PORT");
  }
  const classpath = kafkaClasspath(settings);
  mkdirSync(f.data, { recursive: true });
  writeFileSync(f.properties, serverProperties(quorum, node));
  if (kafkaNodeClusterId(node) === undefined) {
    runSync("java", [
      log4jOption(settings),
      "-cp",
      classpath,
      "kafka.tools.StorageTool",
      "format",
      "--ignore-formatted",
      "-t",
      clusterId(),
      "-c",
      f.properties,
    ]);
  }
  startDetached(
    "java",
    [
      `-Xmx${settings.kafkaHeap}`,
      `-Xms${settings.kafkaHeap}`,
      "-XX:+UseG1GC",
      "-Djava.awt.headless=true",
      log4jOption(settings),
      "-cp",
      classpath,
      "kafka.Kafka",
      f.properties,
    ],
    f.log,
    f.pid,
  );
}

/** The cluster id `node`'s storage was formatted with (its data/meta.properties), or undefined before formatting. */
export function kafkaNodeClusterId(node: KafkaNode): string | undefined {
  const meta = join(files(node).data, "meta.properties");
  if (!existsSync(meta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(meta, "utf8"))?.[1]?.trim();
}

/** Formats storage once, starts the broker unless the recorded one runs, and waits for metadata. */
export async function startKafka(settings: StackSettings): Promise<void> {
  const quorum = singleQuorum(settings);
  const node = quorum.nodes[0]!;
  await launchKafkaNode(settings, quorum, node, newClusterId);
  await waitFor(
    () => describeKafka([`127.0.0.1:${node.port}`]),
    settings.startTimeoutSeconds * 1000,
    (last) => `Kafka did not answer a metadata request on port ${node.port} (${last}); read ${files(node).log}`,
    500,
  );
  ensureScramUser(settings);
}

/**
 * A random 22-character base64url cluster id, as `kafka-storage random-uuid` makes. Like Kafka's own
 * Uuid.randomUuid(), never one that starts with "-": the storage tool would read it as an option (1 start in 64).
 */
export function newClusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").slice(0, 22);
    if (!id.startsWith("-")) return id;
  }
}

/** kafkajs' describeCluster() through `brokers`, on a short-lived admin client that does not retry. */
export async function describeKafka(brokers: string[]) {
  const kafka = new Kafka({
    clientId: "stack-probe",
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

/** Stops `node`'s recorded process (a clean shutdown can take several seconds). */
export function stopKafkaNode(node: KafkaNode): Promise<boolean> {
  return stopRecorded(files(node).pid, 30_000);
}

/** `node`'s recorded pid when it runs. */
export function kafkaNodePid(node: KafkaNode): number | undefined {
  return runningPid(files(node).pid);
}

/** Where `node` logs. */
export const kafkaNodeLog = (node: KafkaNode) => files(node).log;

/** Stops the recorded broker (a clean shutdown can take several seconds). */
export function stopKafka(settings: StackSettings): Promise<boolean> {
  return stopKafkaNode(singleQuorum(settings).nodes[0]!);
}

/** The recorded broker pid when it runs. */
export function kafkaPid(settings: StackSettings): number | undefined {
  return kafkaNodePid(singleQuorum(settings).nodes[0]!);
}
