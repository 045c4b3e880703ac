/** The output of `deno task bench:clients`: the rounds as a table, medians and ratios, and the JSON file. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { ROOT } from "../processes.ts";

/** The clients measured, each with its decode-only script. */
export const CLIENTS = {
  kafkajs: "tools/bench/decode_only.ts",
  platformatic: "tools/bench/decode_only_platformatic.ts",
} as const;
export type Client = keyof typeof CLIENTS;

/** One client's turn: K decode-only processes in a fresh group read the whole topic. */
export interface Round {
  readonly client: Client;
  readonly round: number;
  /** Messages decoded in the window, its length and the rate. */
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Each process's rate over the same window. */
  readonly processPerSecond: number[];
  /** From the spawn of the processes to the first decoded message (start-up and group join). */
  readonly joinSeconds: number;
  /** Messages decoded in all beyond the topic's count (redeliveries). */
  readonly extraDecoded: number;
  /** CPU µs per message of each process, of all the consumers together, of the broker, and in total. */
  readonly cpuMicrosecondsPerMessage: Record<string, number>;
  readonly peakRssBytes: (number | undefined)[];
  /** 1-minute load average when the round started: the machine is shared. */
  readonly loadAverage: number;
  /** Exit codes on SIGTERM (0: closed cleanly). */
  readonly exitCodes: (number | null)[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The figures compared between the clients, read from a round. */
const FIGURES = {
  "msgs/s": (round: Round) => round.perSecond,
  "consumers µs/msg": (round: Round) => round.cpuMicrosecondsPerMessage.consumers ?? NaN,
  "broker µs/msg": (round: Round) => round.cpuMicrosecondsPerMessage["kafka-broker"] ?? NaN,
  "total µs/msg": (round: Round) => round.cpuMicrosecondsPerMessage.total ?? NaN,
} as const;
type Figure = keyof typeof FIGURES;
type Spread = { readonly median: number; readonly min: number; readonly max: number };

/** Per client and figure: median, min and max over the rounds; per figure the ratio of the medians platformatic/kafkajs. */
export function summarize(rounds: readonly Round[]) {
  const spread = (values: number[]): Spread => ({
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
  });
  const of = (client: Client) => {
    const mine = rounds.filter((round) => round.client === client);
    return Object.fromEntries(
      Object.entries(FIGURES).map(([figure, read]) => [figure, spread(mine.map(read))]),
    ) as Record<Figure, Spread>;
  };
  const kafkajs = of("kafkajs");
  const platformatic = of("platformatic");
  const ratio = Object.fromEntries(
    (Object.keys(FIGURES) as Figure[]).map((figure) => [figure, platformatic[figure].median / kafkajs[figure].median]),
  ) as Record<Figure, number>;
  return { kafkajs, platformatic, ratioPlatformaticToKafkajs: ratio };
}

/** Right-aligned columns. */
function columns(head: string[], rows: string[][]): string[] {
  const widths = head.map((cell, index) => Math.max(cell.length, ...rows.map((row) => row[index]!.length)));
  return [head, ...rows].map((cells) => cells.map((cell, index) => cell.padStart(widths[index]!)).join("  "));
}

/** The rounds as a text table, then the medians (min–max) and the ratios. */
export function table(rounds: readonly Round[], summary: ReturnType<typeof summarize>, processes: number): string {
  const fixed = (value: number | undefined, digits = 2) => (value === undefined ? "-" : value.toFixed(digits));
  const names = Array.from({ length: processes }, (_, index) => `p${index + 1}`);
  const head = ["client", "round", "msgs/s", ...names.map((n) => `${n} msgs/s`), ...names.map((n) => `${n} µs/msg`)]
    .concat(["consumers µs/msg", "broker µs/msg", "total µs/msg", "window s", "join s", "load", "peak RSS MB", "exit"]);
  const rows = rounds.map((round) => [
    round.client,
    String(round.round),
    fixed(round.perSecond, 0),
    ...round.processPerSecond.map((rate) => fixed(rate, 0)),
    ...names.map((_, index) => fixed(round.cpuMicrosecondsPerMessage[`${round.client}-${index + 1}`])),
    fixed(round.cpuMicrosecondsPerMessage.consumers),
    fixed(round.cpuMicrosecondsPerMessage["kafka-broker"]),
    fixed(round.cpuMicrosecondsPerMessage.total),
    fixed(round.seconds),
    fixed(round.joinSeconds, 1),
    fixed(round.loadAverage),
    round.peakRssBytes.map((bytes) => (bytes === undefined ? "-" : (bytes / 2 ** 20).toFixed(0))).join("/"),
    round.exitCodes.map(String).join("/"),
  ]);
  const figures = Object.keys(FIGURES) as Figure[];
  const range = (s: Spread, figure: Figure) => {
    const digits = figure === "msgs/s" ? 0 : 2;
    return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  };
  const { kafkajs, platformatic, ratioPlatformaticToKafkajs: ratio } = summary;
  return [
    ...columns(head, rows),
    "",
    ...columns(["median (min–max)", ...figures], [
      ["kafkajs", ...figures.map((figure) => range(kafkajs[figure], figure))],
      ["platformatic", ...figures.map((figure) => range(platformatic[figure], figure))],
      ["platformatic/kafkajs", ...figures.map((figure) => ratio[figure].toFixed(2))],
    ]),
  ].join("\n");
}

/** tools/bench/results/kafka-clients-<date>.json, or -2, -3… when a run of that day is there already. */
export function writeResults(document: Record<string, unknown>, startedAt: string): string {
  const dir = `${ROOT}tools/bench/results`;
  mkdirSync(dir, { recursive: true });
  const base = `${dir}/kafka-clients-${startedAt.slice(0, 10)}`;
  let path = `${base}.json`;
  for (let n = 2; existsSync(path); n++) path = `${base}-${n}.json`;
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}
