/**
 * The cluster topology's Kafka: three KRaft nodes (kafka_broker.ts), each broker and controller, node ids 1-3, a
 * three-voter quorum, one cluster id; clients on STACK_KAFKA_PORT and the two ports after it, controllers likewise on
 * STACK_KAFKA_CONTROLLER_PORT. Topics get replication factor 3 and min.insync.replicas 2, internal ones too.
 */
import { join } from "node:path";
import { waitFor } from "../../lib/infra/poll.ts";
import { killNow } from "./daemons.ts";
import {
  describeKafka,
  ensureScramUser,
  type KafkaNode,
  kafkaNodeClusterId,
  kafkaNodeLog,
  kafkaNodePid,
  type KafkaQuorum,
  launchKafkaNode,
  newClusterId,
  stopKafkaNode,
} from "./kafka_broker.ts";
import type { StackSettings } from "./settings.ts";
import { CLUSTER_SIZES } from "./topology.ts";

/** The three nodes, in `<STACK_DIR>/kafka-<id>`. */
export function kafkaClusterQuorum(settings: StackSettings): KafkaQuorum {
  const nodes = Array.from({ length: CLUSTER_SIZES.kafkaNodes }, (_, i): KafkaNode => ({
    id: i + 1,
    port: settings.kafkaPort + i,
    controllerPort: settings.kafkaControllerPort + i,
    saslPort: settings.kafkaSaslPort === 0 ? 0 : settings.kafkaSaslPort + i,
    home: join(settings.dir, `kafka-${i + 1}`),
    label: `Kafka node ${i + 1}`,
  }));
  return { nodes, replicationFactor: CLUSTER_SIZES.kafkaNodes };
}

/** `host:port` of each broker's client listener, node 1 first. */
export function kafkaClusterBrokers(settings: StackSettings): string[] {
  return kafkaClusterQuorum(settings).nodes.map(({ port }) => `127.0.0.1:${port}`);
}

/**
 * Starts the nodes that are not running, all at once (a quorum needs a majority to elect a controller), formatting
 * any new one with the id of those formatted before; waits until every broker is in the metadata.
 */
export async function startKafkaCluster(settings: StackSettings): Promise<void> {
  const quorum = kafkaClusterQuorum(settings);
  const ids = new Set(quorum.nodes.map(kafkaNodeClusterId).filter((id) => id !== undefined));
  if (ids.size > 1) {
    throw new Error(`the Kafka nodes in ${settings.dir} were formatted with different cluster ids: ${[...ids]}`);
  }
  const clusterId = [...ids][0] ?? newClusterId();
  for (const node of quorum.nodes) await launchKafkaNode(settings, quorum, node, () => clusterId);
  await waitForAllBrokers(settings, quorum);
  ensureScramUser(settings);
}

/** Waits until describeCluster lists every node as a broker and names a controller. */
async function waitForAllBrokers(settings: StackSettings, quorum: KafkaQuorum): Promise<void> {
  const expected = quorum.nodes.map(({ id }) => id).join(",");
  await waitFor(
    async () => {
      const { brokers, controller } = await describeKafka(kafkaClusterBrokers(settings));
      const ids = brokers.map(({ nodeId }) => nodeId).sort((a, b) => a - b).join(",");
      if (ids !== expected || controller === null || controller < 0) {
        throw new Error(`brokers [${ids}], controller ${controller}`);
      }
    },
    settings.startTimeoutSeconds * 1000,
    (last) =>
      `the Kafka cluster did not list brokers [${expected}] with a controller (${last}); read ` +
      quorum.nodes.map(kafkaNodeLog).join(", "),
    500,
  );
}

/** Stops every node at once: one at a time, the last ones would wait for a quorum that is gone. */
export async function stopKafkaCluster(settings: StackSettings): Promise<boolean> {
  const stopped = await Promise.all(kafkaClusterQuorum(settings).nodes.map(stopKafkaNode));
  return stopped.some(Boolean);
}

/** The name and running pid (or undefined) of each node, for `status`. */
export function kafkaClusterStatus(settings: StackSettings): { name: string; pid: number | undefined }[] {
  return kafkaClusterQuorum(settings).nodes.map((node) => ({ name: `kafka-${node.id}`, pid: kafkaNodePid(node) }));
}

function nodeAt(settings: StackSettings, index: number): KafkaNode {
  const node = kafkaClusterQuorum(settings).nodes[index];
  if (node === undefined) throw new RangeError(`no Kafka node at index ${index} (0-${CLUSTER_SIZES.kafkaNodes - 1})`);
  return node;
}

/** SIGKILLs the broker at `index` (0-2), as a lost machine would; resolves once it is dead. */
export async function killKafkaBroker(settings: StackSettings, index: number): Promise<void> {
  await killNow(kafkaNodePid(nodeAt(settings, index)));
}

/** Starts the broker at `index` again (a no-op when it runs) and waits until every broker is in the metadata. */
export async function restartKafkaBroker(settings: StackSettings, index: number): Promise<void> {
  const quorum = kafkaClusterQuorum(settings);
  const node = nodeAt(settings, index);
  const clusterId = kafkaNodeClusterId(node);
  if (clusterId === undefined) throw new Error(`${node.label} in ${node.home} was never formatted; run stack up`);
  await launchKafkaNode(settings, quorum, node, () => clusterId);
  await waitForAllBrokers(settings, quorum);
}
