/**
 * Which topology a stack folder runs: `up` records it there, so `down` and `status` act on what runs without being
 * told. The sizes of the cluster topology are here, for the settings' port checks and the cluster modules.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The stack's topologies: `single` (the default) or `cluster`. */
export const TOPOLOGIES = ["single", "cluster"] as const;
export type Topology = typeof TOPOLOGIES[number];

/** Nodes of the cluster topology: three Redis masters with a replica each, three Kafka nodes. */
export const CLUSTER_SIZES = { redisNodes: 6, redisReplicasPerMaster: 1, kafkaNodes: 3 } as const;

/** A Redis Cluster node also listens on its port + 10000 for the cluster bus (Redis' default). */
export const REDIS_CLUSTER_BUS_OFFSET = 10000;

const isTopology = (value: string): value is Topology => (TOPOLOGIES as readonly string[]).includes(value);
const recordFile = (dir: string) => join(dir, "topology");

/** The topology `up` last recorded in `dir`, or undefined (a folder from before topologies runs `single`). */
export function recordedTopology(dir: string): Topology | undefined {
  if (!existsSync(recordFile(dir))) return undefined;
  const value = readFileSync(recordFile(dir), "utf8").trim();
  if (!isTopology(value)) throw new Error(`${recordFile(dir)} says ${JSON.stringify(value)}, not single or cluster`);
  return value;
}

/** Records the topology `up` starts in `dir`. */
export function recordTopology(dir: string, topology: Topology): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(recordFile(dir), `${topology}\n`);
}

/**
 * The command and the `--topology` flag's value (`--topology cluster` or `--topology=cluster`) from the arguments
 * of `deno task stack`; throws on anything else.
 */
export function parseStackArgs(args: readonly string[]): { command: string; topology?: string } {
  const [command = "status", ...rest] = args;
  if (rest.length === 0) return { command };
  const [flag, value] = rest[0]!.includes("=") ? rest[0]!.split("=", 2) : [rest[0], rest[1]];
  const used = rest[0]!.includes("=") ? 1 : 2;
  if (flag !== "--topology" || value === undefined || value === "" || rest.length !== used) {
    throw new UsageError(`unexpected arguments ${JSON.stringify(rest.join(" "))}`);
  }
  if (!isTopology(value)) throw new UsageError(`--topology must be one of ${TOPOLOGIES.join(", ")}, got ${value}`);
  return { command, topology: value };
}

/** A command line `deno task stack` does not understand. */
export class UsageError extends Error {}
