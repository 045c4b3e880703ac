/**
 * The bench's command line: `deno task bench [--bags N] [--consumers K] [--seed S] [--partitions P]
 * [--freshness-seconds F] [--archive-bags N] [--board-clients N] [--board-seconds S] [--only board] [--keep-stack]
 * [--cpu-prof]`.
 */
import type { DatasetOptions } from "../producer/dataset.ts";

export interface BenchOptions {
  /** Bags generated (the seeded dataset's size); flights follow at the seed's ratio. */
  readonly bags: number;
  /** Bag consumer processes sharing the bags topic's partitions (also the decode-only ceiling's processes). */
  readonly consumers: number;
  readonly seed: number;
  readonly partitions: number;
  /** Length of each of the freshness stage's two runs in seconds, whole minutes; 0 leaves the stage out. */
  readonly freshnessSeconds: number;
  /**
   * Bags seeded into the archive for the history lookups of the archive stage; 0 leaves the lookups out. Always set
   * by parseOptions; optional for the other benches that build these options to generate a dataset.
   */
  readonly archiveBags?: number;
  /** Event-stream clients of the board stage (board_load.ts); 0 leaves the stage out. Set by parseOptions. */
  readonly boardClients?: number;
  /** How long the board stage holds its clients, in seconds. Set by parseOptions. */
  readonly boardSeconds?: number;
  /** A stage run alone (the stack, then only it); undefined for all. */
  readonly only?: "board" | undefined;
  readonly keepStack: boolean;
  /** Pass --cpu-prof to the worker subprocesses (profiles land in .stack/bench/profiles/). */
  readonly cpuProf: boolean;
}

export const USAGE =
  "usage: deno task bench [--bags N (default 2000000)] [--consumers K (default 2)] [--seed S (default 1)] " +
  "[--partitions P (default 6)] [--freshness-seconds F (default 120, whole minutes, 0 for none)] " +
  "[--archive-bags N (default 10000000, bags seeded for the archive's history lookups, 0 for none)] " +
  "[--board-clients N (default 1000, 0 for none)] [--board-seconds S (default 60)] [--only board (that stage alone)] " +
  "[--keep-stack] [--cpu-prof]";

/** Parses the arguments; throws with USAGE on anything unknown or invalid. */
export function parseOptions(args: readonly string[]): BenchOptions {
  const options = {
    bags: 2_000_000,
    consumers: 2,
    seed: 1,
    partitions: 6,
    freshnessSeconds: 120,
    archiveBags: 10_000_000,
    boardClients: 1_000,
    boardSeconds: 60,
    only: undefined as "board" | undefined,
    keepStack: false,
    cpuProf: false,
  };
  const integer = (flag: string, value: string | undefined, min: number, max: number) => {
    const parsed = Number(value?.replaceAll("_", ""));
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new Error(`${flag} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}\n${USAGE}`);
    }
    return parsed;
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split("=", 2) as [string, string | undefined];
    const value = () => inline ?? args[++i];
    switch (flag) {
      case "--bags":
        options.bags = integer(flag, value(), 1_000, 50_000_000);
        break;
      case "--consumers":
        options.consumers = integer(flag, value(), 1, 8);
        break;
      case "--seed":
        options.seed = integer(flag, value(), 0, 2 ** 32 - 1);
        break;
      case "--partitions":
        options.partitions = integer(flag, value(), 1, 64);
        break;
      case "--freshness-seconds":
        options.freshnessSeconds = integer(flag, value(), 0, 3600);
        if (options.freshnessSeconds % 60 !== 0) {
          throw new Error(`--freshness-seconds must be whole minutes, got ${options.freshnessSeconds}\n${USAGE}`);
        }
        break;
      case "--archive-bags":
        options.archiveBags = integer(flag, value(), 0, 100_000_000);
        if (options.archiveBags > 0 && options.archiveBags < 1_000) {
          throw new Error(`--archive-bags must be 0 or at least 1000, got ${options.archiveBags}\n${USAGE}`);
        }
        break;
      case "--board-clients":
        options.boardClients = integer(flag, value(), 0, 10_000);
        break;
      case "--board-seconds":
        options.boardSeconds = integer(flag, value(), 1, 3600);
        break;
      case "--only": {
        const stage = value();
        if (stage !== "board") throw new Error(`--only takes board, got ${JSON.stringify(stage)}\n${USAGE}`);
        options.only = stage;
        break;
      }
      case "--keep-stack":
        options.keepStack = true;
        break;
      case "--cpu-prof":
        options.cpuProf = true;
        break;
      default:
        throw new Error(`unknown argument ${JSON.stringify(args[i])}\n${USAGE}`);
    }
  }
  return Object.freeze(options);
}

/** Hours of arrivals in the dataset: one day, as a hub would see it. */
export const DATASET_HOURS = 24;
/** Bags per flight-hour of the seed (1,000 flights and 300,000 bags an hour). */
const SEED_BAGS_PER_FLIGHT = 300;

/** The generator's options for `bags` bags over one day at the seed's bags-per-flight ratio. */
export function datasetOptions(options: BenchOptions, startSeconds: number): DatasetOptions {
  const bagsPerHour = Math.ceil(options.bags / DATASET_HOURS);
  return {
    seed: options.seed,
    startSeconds,
    hours: DATASET_HOURS,
    bagsPerHour,
    flightsPerHour: Math.max(1, Math.ceil(bagsPerHour / SEED_BAGS_PER_FLIGHT)),
    // The test producer's defaults (lib/producer/config.ts).
    minConnectionMinutes: 45,
    maxConnectionMinutes: 360,
    lateRate: 0.01,
    missingRate: 0.005,
    emptyRate: 0.002,
  };
}
