/**
 * The processes `baggage-router <command>` runs: each command imports its entrypoint in workers/ or
 * bridge/, so the binary runs exactly what `deno task <command>` and `bun run <entrypoint>` run.
 * The imports are static strings, so `bun build --compile` and `deno compile` embed every entrypoint.
 */
import type { ServiceName } from "../lib/config.ts";

/** One command of the binary. */
export interface Command {
  /** One line for --help. */
  readonly summary: string;
  /** The entrypoint's path, for messages. */
  readonly entrypoint: string;
  /** Imports the entrypoint, which starts the process and keeps it running until SIGINT/SIGTERM. */
  readonly run: () => Promise<unknown>;
}

/** Every command, in the order --help lists them. */
export const COMMANDS: Readonly<Record<ServiceName, Command>> = {
  "flight-consumer": {
    summary: "consumes the flights topic into Redis",
    entrypoint: "workers/flight_consumer.ts",
    run: () => import("../workers/flight_consumer.ts"),
  },
  "bag-consumer": {
    summary: "consumes the bags topic into Redis",
    entrypoint: "workers/bag_consumer.ts",
    run: () => import("../workers/bag_consumer.ts"),
  },
  "arrival-scanner": {
    summary: "publishes the work of flights arriving soon, at start and on SCAN_SCHEDULE",
    entrypoint: "workers/arrival_scanner.ts",
    run: () => import("../workers/arrival_scanner.ts"),
  },
  "bridge": {
    summary: "mirrors the work topic into the Redis Stream WORK_STREAM",
    entrypoint: "bridge/bridge.ts",
    run: () => import("../bridge/bridge.ts"),
  },
  "producer": {
    summary: "publishes generated test flights and bags (PRODUCER_* variables)",
    entrypoint: "workers/test_producer.ts",
    run: () => import("../workers/test_producer.ts"),
  },
  "tail": {
    summary: "prints the work stream's entries as JSON lines (TAIL_FLIGHT / TAIL_BAG to follow one)",
    entrypoint: "bridge/tail.ts",
    run: () => import("../bridge/tail.ts"),
  },
};

/** Whether `name` is a command. */
export function isCommand(name: string | undefined): name is ServiceName {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}
