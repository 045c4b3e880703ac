/**
 * The process registry: every process the project runs, once. The CLI's commands and --help, the
 * launcher's permissions, `deno task dev`, the chaos suite, the configuration's defaults and the
 * checks of deno.json, docker-compose.yml and Prometheus against it (tests/lib/processes_test.ts)
 * all derive from this table, so adding a process is one entry here plus its code.
 *
 * The entrypoints are imported with static strings, so `bun build --compile` and `deno compile` embed them.
 */

/** A server a process connects to; runService builds a client (and a health check) only for these. */
export type Server = "kafka" | "redis" | "postgres";

/**
 * What a process reads from or writes to: a Kafka topic named in the configuration (and `dead-letters`, the
 * `.dlq` topics of the others), the Redis Stream, the Redis state, or the PostgreSQL archive.
 */
export type Channel =
  | "flights"
  | "bags"
  | "baggage-messages"
  | "work"
  | "dead-letters"
  | "work-stream"
  | "redis-state"
  | "archive";

/**
 * An HTTP endpoint a process serves besides its metrics: the archive's history (HISTORY_HOST, HISTORY_PORT), the
 * board (BOARD_HOST, BOARD_PORT).
 */
export type Endpoint = "history" | "board";

/** Everything the project knows about one process. */
export interface ProcessSpec {
  /** One line for `baggage-router --help`. */
  readonly summary: string;
  /** The entrypoint, relative to the repository root. */
  readonly entrypoint: string;
  /** Imports the entrypoint, which starts the process and runs it until SIGINT/SIGTERM. */
  readonly load: () => Promise<unknown>;
  /** METRICS_PORT's default. */
  readonly metricsPort: number;
  /** The servers it connects to. */
  readonly needs: readonly Server[];
  /** The HTTP endpoints it serves besides /metrics and /healthz. */
  readonly serves: readonly Endpoint[];
  /** The HTTP endpoints of other processes it asks (when they run: none is required to start). */
  readonly calls: readonly Endpoint[];
  readonly reads: readonly Channel[];
  readonly writes: readonly Channel[];
  /**
   * Whether it runs on a Redis Cluster (REDIS_CLUSTER_NODES): its keys of one call share a slot. The others need one
   * Redis primary until docs/design/redis-cluster.md is built.
   */
  readonly redisCluster: boolean;
  /** Whether `deno task dev` runs it (a reader someone starts by hand does not). */
  readonly inDev: boolean;
  /** Whether it is test tooling rather than part of the product. */
  readonly tooling: boolean;
}

/** Every process, in the order --help lists them and `deno task dev` starts them. */
export const PROCESSES = {
  "flight-consumer": {
    summary: "consumes the flights topic into Redis",
    entrypoint: "workers/flight_consumer.ts",
    load: () => import("../workers/flight_consumer.ts"),
    metricsPort: 8001,
    needs: ["kafka", "redis"],
    serves: [],
    calls: [],
    reads: ["flights"],
    writes: ["redis-state"],
    redisCluster: true,
    inDev: true,
    tooling: false,
  },
  "bag-consumer": {
    summary: "consumes the bags topic into Redis",
    entrypoint: "workers/bag_consumer.ts",
    load: () => import("../workers/bag_consumer.ts"),
    metricsPort: 8002,
    needs: ["kafka", "redis"],
    serves: [],
    calls: [],
    reads: ["bags"],
    writes: ["redis-state"],
    redisCluster: true,
    inDev: true,
    tooling: false,
  },
  "baggage-messages": {
    summary: "consumes IATA baggage messages (BSM, BTM, BPM, BUM) into Redis",
    entrypoint: "workers/baggage_messages.ts",
    load: () => import("../workers/baggage_messages.ts"),
    metricsPort: 8009,
    needs: ["kafka", "redis"],
    serves: [],
    calls: [],
    reads: ["baggage-messages"],
    writes: ["redis-state"],
    redisCluster: false,
    inDev: true,
    tooling: false,
  },
  "arrival-scanner": {
    summary: "publishes the work of flights arriving soon, at start and on SCAN_SCHEDULE",
    entrypoint: "workers/arrival_scanner.ts",
    load: () => import("../workers/arrival_scanner.ts"),
    metricsPort: 8003,
    needs: ["kafka", "redis"],
    serves: [],
    calls: [],
    reads: ["redis-state"],
    writes: ["work"],
    redisCluster: true,
    inDev: true,
    tooling: false,
  },
  "producer": {
    summary: "publishes generated test flights and bags (PRODUCER_* variables)",
    entrypoint: "tools/producer/main.ts",
    load: () => import("../tools/producer/main.ts"),
    metricsPort: 8004,
    needs: ["kafka"],
    serves: [],
    calls: [],
    reads: [],
    writes: ["flights", "bags"],
    redisCluster: false,
    inDev: true,
    tooling: true,
  },
  "bridge": {
    summary: "mirrors the work topic into the Redis Stream WORK_STREAM",
    entrypoint: "bridge/bridge.ts",
    load: () => import("../bridge/bridge.ts"),
    metricsPort: 8005,
    needs: ["kafka", "redis"],
    serves: [],
    calls: [],
    reads: ["work"],
    writes: ["work-stream"],
    redisCluster: true,
    inDev: true,
    tooling: false,
  },
  "archiver": {
    summary: "archives flights, itineraries, work and dead letters into PostgreSQL; serves their history",
    entrypoint: "workers/archiver.ts",
    load: () => import("../workers/archiver.ts"),
    metricsPort: 8008,
    needs: ["kafka", "postgres"],
    serves: ["history"],
    calls: [],
    reads: ["flights", "bags", "work", "dead-letters"],
    writes: ["archive"],
    redisCluster: false,
    inDev: true,
    tooling: false,
  },
  "board": {
    summary: "serves the live baggage-hall board (BOARD_PORT): arrivals, transfers and connection risk",
    entrypoint: "readers/board.ts",
    load: () => import("../readers/board.ts"),
    metricsPort: 8010,
    needs: ["redis"],
    serves: ["board"],
    calls: ["history"],
    reads: ["work-stream", "redis-state"],
    writes: [],
    redisCluster: true,
    inDev: true,
    tooling: false,
  },
  "tail": {
    summary: "prints the work stream's entries as JSON lines (TAIL_FLIGHT / TAIL_BAG to follow one)",
    entrypoint: "readers/tail.ts",
    load: () => import("../readers/tail.ts"),
    metricsPort: 8006,
    needs: ["redis"],
    serves: [],
    calls: [],
    reads: ["work-stream"],
    writes: [],
    redisCluster: true,
    inDev: false,
    tooling: false,
  },
} as const satisfies Record<string, ProcessSpec>;

/** The name of a process: its `deno task`, its `baggage-router` command, its compose service and Prometheus job. */
export type ServiceName = keyof typeof PROCESSES;

/** A registry: PROCESSES, or in tests PROCESSES plus a process that exists only there. */
export type Registry = Readonly<Record<string, ProcessSpec>>;

/** The process names, in registry order. */
export const SERVICE_NAMES = Object.keys(PROCESSES) as ServiceName[];

/** Whether `name` is a process of `registry`. */
export function isServiceName(name: string | undefined, registry: Registry = PROCESSES): name is ServiceName {
  return name !== undefined && Object.hasOwn(registry, name);
}

/** The process whose entrypoint is `entrypoint`. */
export function processOfEntrypoint(entrypoint: string, registry: Registry = PROCESSES): string | undefined {
  return Object.keys(registry).find((name) => registry[name]!.entrypoint === entrypoint);
}

/** The Deno permissions of the launcher itself, which then narrows them for the process (launcher/permissions.ts). */
export const LAUNCHER_FLAGS = ["--allow-env", "--allow-run", "--allow-read=.", "--allow-sys=hostname"] as const;

/** The command line of `deno task <name>`: the launcher, which runs the entrypoint with the narrowest permissions. */
export function taskCommand(name: string): string {
  return ["deno", "run", ...LAUNCHER_FLAGS, "launcher/launch.ts", name].join(" ");
}
