/**
 * The stack's Kafka: a single KRaft node (broker and controller in one JVM) run with `java`
 * from jars that Maven resolves from Maven Central into a cache folder once.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { waitFor } from "../../lib/infra/poll.ts";
import { requireFreePort, runningPid, startDetached, stopRecorded } from "./daemons.ts";
import { onPath, runSync } from "../processes.ts";
import type { StackSettings } from "./settings.ts";

const LOG4J_VERSION = "2.24.3";

const files = (settings: StackSettings) => ({
  home: join(settings.dir, "kafka"),
  data: join(settings.dir, "kafka", "data"),
  properties: join(settings.dir, "kafka", "server.properties"),
  log: join(settings.dir, "kafka", "kafka.log"),
  pid: join(settings.dir, "kafka", "kafka.pid"),
});

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

function serverProperties(settings: StackSettings, dataDir: string): string {
  const host = "127.0.0.1";
  const sasl = settings.kafkaSaslPort !== 0;
  const clientListeners = [`PLAINTEXT://${host}:${settings.kafkaPort}`];
  if (sasl) clientListeners.push(`SASL_PLAINTEXT://${host}:${settings.kafkaSaslPort}`);
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@${host}:${settings.kafkaControllerPort}`,
    `listeners=${[...clientListeners, `CONTROLLER://${host}:${settings.kafkaControllerPort}`].join(",")}`,
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
    `log.dirs=${dataDir}`,
    "num.partitions=6",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=6",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=false",
    "",
  ].join("\n");
}

/** Creates (or updates) the SASL SCRAM-SHA-512 user through the plaintext listener; idempotent. */
function ensureScramUser(settings: StackSettings, classpath: string, log4j: string): void {
  if (settings.kafkaSaslPort === 0 || settings.kafkaSaslPassword === undefined) return;
  runSync("java", [
    log4j,
    "-cp",
    classpath,
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

/** Formats storage once, starts the broker unless the recorded one runs, and waits for metadata. */
export async function startKafka(settings: StackSettings): Promise<void> {
  const f = files(settings);
  if (runningPid(f.pid) === undefined) {
    await requireFreePort(settings.kafkaPort, "Kafka", "STACK_KAFKA_PORT");
    await requireFreePort(settings.kafkaControllerPort, "Kafka's controller", "STACK_KAFKA_CONTROLLER_PORT");
    const classpath = kafkaClasspath(settings);
    mkdirSync(f.data, { recursive: true });
    writeFileSync(f.properties, serverProperties(settings, f.data));
    const log4j = `-Dlog4j2.configurationFile=${join(settings.jarsDir, "log4j2.properties")}`;
    if (!existsSync(join(f.data, "meta.properties"))) {
      runSync("java", [
        log4j,
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
        log4j,
        "-cp",
        classpath,
        "kafka.Kafka",
        f.properties,
      ],
      f.log,
      f.pid,
    );
  }
  await waitFor(
    () => describeCluster(settings.kafkaPort),
    settings.startTimeoutSeconds * 1000,
    (last) => `Kafka did not answer a metadata request on port ${settings.kafkaPort} (${last}); read ${f.log}`,
    500,
  );
  ensureScramUser(
    settings,
    kafkaClasspath(settings),
    `-Dlog4j2.configurationFile=${join(settings.jarsDir, "log4j2.properties")}`,
  );
}

/**
 * A random 22-character base64url cluster id, as `kafka-storage random-uuid` makes. Like Kafka's own
 * Uuid.randomUuid(), never one that starts with "-": the storage tool would read it as an option (1 start in 64).
 */
function clusterId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").slice(0, 22);
    if (!id.startsWith("-")) return id;
  }
}

async function describeCluster(port: number): Promise<void> {
  const kafka = new Kafka({
    clientId: "stack-probe",
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect();
  }
}

/** Stops the recorded broker (a clean shutdown can take several seconds). */
export function stopKafka(settings: StackSettings): Promise<boolean> {
  return stopRecorded(files(settings).pid, 30_000);
}

/** The recorded broker pid when it runs. */
export function kafkaPid(settings: StackSettings): number | undefined {
  return runningPid(files(settings).pid);
}
