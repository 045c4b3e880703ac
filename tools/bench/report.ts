/** The bench's output: a table, one summary line for scripts, and the figures as JSON in tools/bench/results/. */
import { mkdirSync, writeFileSync } from "node:fs";
import type { ArchiveStage } from "./archive.ts";
import type { BaggageMessagesStage } from "./baggage_messages.ts";
import { baggageMessagesRows, baggageMessagesTargets, type Target } from "./baggage_messages_report.ts";
import type { StageResult } from "./consume.ts";
import type { Latency } from "./latency.ts";
import type { Freshness, FreshnessRun } from "./freshness.ts";
import type { Machine } from "./machine.ts";
import type { MemoryFigures } from "./memory.ts";
import type { BenchOptions } from "./options.ts";
import { ROOT } from "../processes.ts";
import type { ScanThroughput, SingleFlightScan } from "./scan.ts";

/** A stage's rate against its ceiling. */
export interface Rated {
  readonly perSecond: number;
  readonly ceiling?: { readonly name: string; readonly perSecond: number };
}

/** Every figure of one run. */
export interface Results {
  readonly startedAt: string;
  readonly totalSeconds: number;
  readonly options: BenchOptions;
  readonly machine: Machine;
  readonly dataset: Record<string, number>;
  readonly ceilings: Record<string, number>;
  readonly stages: {
    readonly produce: Rated & { readonly sendSeconds: number; readonly generateSeconds: number };
    readonly flightConsumption: Rated & StageResult;
    readonly bagConsumption: Rated & StageResult;
    /** The bags as BSMs, rated against bagConsumption. */
    readonly baggageMessages: BaggageMessagesStage;
    readonly scan: Rated & ScanThroughput;
    readonly singleFlightScan: SingleFlightScan;
    readonly bridge: Rated & {
      readonly entries: number;
      readonly seconds: number;
      readonly mirrored: number;
      readonly duplicatesSkipped: number;
    };
    readonly latency: Latency;
    readonly archive: ArchiveStage;
    /** Absent when run with --freshness-seconds 0. */
    readonly freshness?: Freshness;
  };
  readonly memory: {
    /** rawBytesPerItem: the key, field and value bytes of the seed's bag hash alone, before Redis' own overhead. */
    readonly perBag: MemoryFigures & { readonly rawBytesPerItem: number };
    readonly perFlight: MemoryFigures;
  };
  /** Per stage or ceiling: CPU microseconds per unit of work of each process involved, and their total. */
  readonly cpuMicroseconds: Record<string, Record<string, number>>;
  readonly peakRssBytes: Record<string, number | undefined>;
}

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const ms = (value: number) => value.toFixed(value < 10 ? 2 : 0);
const mib = (bytes: number | undefined) => (bytes === undefined ? "?" : `${(bytes / 2 ** 20).toFixed(0)} MiB`);
const ratio = (stage: Rated) => (stage.ceiling ? (stage.perSecond / stage.ceiling.perSecond).toFixed(2) : "");

/** The targets and whether this run met them. */
export function targets(results: Results): Target[] {
  const { stages, memory } = results;
  const decode = stages.bagConsumption.ceiling?.perSecond ?? Infinity;
  return [
    { name: "bag consumption vs decode-only", goal: ">= 0.80", met: stages.bagConsumption.perSecond >= 0.8 * decode },
    { name: "bag consumption", goal: ">= 50,000 bags/s (aim)", met: stages.bagConsumption.perSecond >= 50_000 },
    ...baggageMessagesTargets(stages.baggageMessages),
    { name: "arrival scan", goal: ">= 100,000 work items/s", met: stages.scan.perSecond >= 100_000 },
    { name: "scan of a 400-bag flight", goal: "< 5 ms", met: stages.singleFlightScan.medianMs < 5 },
    { name: "bridge", goal: ">= 50,000 entries/s", met: stages.bridge.perSecond >= 50_000 },
    { name: "Redis per bag", goal: "<= 120 bytes", met: memory.perBag.bytesPerItem <= 120 },
    { name: "scan to stream p99", goal: "< 500 ms", met: stages.latency.p99Ms < 500 },
    ...freshnessTargets(stages.freshness),
    ...archiveTargets(stages.archive),
  ];
}

/** Issue 15's goals. */
function archiveTargets(archive: ArchiveStage): Target[] {
  const targets = [
    { name: "archive", goal: ">= 100,000 bag rows/s", met: archive.perSecond >= 100_000 },
    {
      name: "archive vs COPY of the same rows",
      goal: ">= 0.50",
      met: archive.perSecond >= 0.5 * (archive.ceiling?.perSecond ?? Infinity),
    },
  ];
  const { history } = archive;
  if (history) {
    const at = history.bags === 10_000_000 ? "" : ` (at ${int(history.bags)} bags, the goal's is 10,000,000)`;
    targets.push({ name: `history of one bag p99${at}`, goal: "< 10 ms", met: history.p99Ms < 10 });
  }
  return targets;
}

/** Issue 14's goals, at the seed's rates. */
function freshnessTargets(freshness: Freshness | undefined): Target[] {
  if (!freshness) return [];
  const { follow } = freshness;
  return [
    { name: "change to stream p99, seed's rates", goal: "< 1 s", met: follow.changes.p99Ms < 1000 },
    {
      name: "first publication lead p1",
      goal: ">= SCAN_WINDOW_SECONDS - 2 (598 s)",
      met: follow.lead.p1Seconds >= 598,
    },
    { name: "CPU per work item vs the minute's sweep alone", goal: "<= 1.20", met: freshness.cpuRatio <= 1.2 },
  ];
}

/** The single line a script reads. */
export function summaryLine(results: Results): string {
  const { stages, memory } = results;
  return `bench: consume=${Math.round(stages.bagConsumption.perSecond)} scan=${Math.round(stages.scan.perSecond)} ` +
    `bridge=${Math.round(stages.bridge.perSecond)} redis=${Math.round(memory.perBag.bytesPerItem)} ` +
    `p99=${Math.round(stages.latency.p99Ms)} archive=${Math.round(stages.archive.perSecond)} ` +
    `bsm=${Math.round(stages.baggageMessages.perSecond)}`;
}

/** The human-readable table. */
export function table(results: Results): string {
  const { stages, memory, ceilings } = results;
  const rows: string[][] = [["stage", "figure", "ceiling", "ratio"]];
  const rated = (name: string, stage: Rated, unit: string) =>
    rows.push([
      name,
      `${int(stage.perSecond)} ${unit}`,
      stage.ceiling ? `${int(stage.ceiling.perSecond)} (${stage.ceiling.name})` : "",
      ratio(stage),
    ]);
  rated("produce (Publisher, pace max)", stages.produce, "msg/s");
  rated("flight consumption", stages.flightConsumption, "flights/s");
  rated(`bag consumption (${results.options.consumers} proc.)`, stages.bagConsumption, "bags/s");
  for (const process of stages.bagConsumption.processes) {
    const rate = process.perSecond === undefined
      ? `${int(process.processed)} bags (rate not measured: consumed before the others joined)`
      : `${int(process.perSecond)} bags/s`;
    rows.push([`  ${process.name}`, rate, "", ""]);
  }
  const vs = (name: string, perSecond: number) =>
    rows.push([
      `  vs ${name}`,
      "",
      `${int(perSecond)}`,
      (stages.bagConsumption.perSecond / perSecond).toFixed(2),
    ]);
  vs("Lua upsert alone", ceilings.luaBagsPerSecond!);
  vs("broker alone (ConsumerPerformance)", ceilings.brokerConsumePerSecond!);
  vs(
    `CPU bound: ${results.machine.cores} cores / (decode-only + Redis' Lua) CPU per bag`,
    ceilings.cpuBoundBagsPerSecond!,
  );
  rows.push([
    "  CPU bound vs decode-only",
    "",
    "",
    (ceilings.cpuBoundBagsPerSecond! / ceilings.decodeOnlyPerSecond!).toFixed(2),
  ]);
  rated(`baggage messages (${results.options.consumers} proc.)`, stages.baggageMessages, "BSMs/s");
  rows.push(...baggageMessagesRows(stages.baggageMessages));
  rated("arrival scan", stages.scan, "work items/s");
  if (ceilings.scanReadsRecordingPerSecond) {
    rows.push([
      "  vs its reads recording the due flights (change path)",
      "",
      `${int(ceilings.scanReadsRecordingPerSecond)}`,
      (stages.scan.perSecond / ceilings.scanReadsRecordingPerSecond).toFixed(2),
    ]);
  }
  rows.push([
    "scan of one ~400-bag flight",
    `${ms(stages.singleFlightScan.medianMs)} ms (median)`,
    `${stages.singleFlightScan.bagCounts.join("/")} bags`,
    "",
  ]);
  rated("bridge", stages.bridge, "entries/s");
  rows.push(["scan to stream p50 / p99", `${ms(stages.latency.p50Ms)} / ${ms(stages.latency.p99Ms)} ms`, "", ""]);
  if (stages.freshness) rows.push(...freshnessRows(stages.freshness));
  rated("archive (archiver, 1 proc.)", stages.archive, "bag rows/s");
  rows.push(...archiveRows(stages.archive));
  const byLegs = Object.entries(memory.perBag.meanKeyBytesBy).map(([group, bytes]) => `${group} ${bytes.toFixed(0)}`);
  rows.push([
    "Redis per bag",
    `${memory.perBag.bytesPerItem.toFixed(1)} B`,
    `MEMORY USAGE ${memory.perBag.meanKeyBytes.toFixed(1)} B/key (${byLegs.join(", ")})`,
    "",
  ]);
  rows.push(["  the seed's key, field and value alone", `${memory.perBag.rawBytesPerItem.toFixed(1)} B`, "", ""]);
  rows.push([
    "Redis per flight",
    `${int(memory.perFlight.bytesPerItem)} B`,
    `MEMORY USAGE ${int(memory.perFlight.meanKeyBytes)} B/key`,
    "",
  ]);
  for (const [name, bytes] of Object.entries(results.peakRssBytes)) rows.push([`peak RSS ${name}`, mib(bytes), "", ""]);
  for (const [stage, perProcess] of Object.entries(results.cpuMicroseconds)) {
    // A stage whose window was too short to measure has no figures: it gets no line.
    if (perProcess.total === undefined) continue;
    const { total, ...parts } = perProcess;
    const detail = Object.entries(parts).map(([name, us]) => `${name} ${us.toFixed(1)}`).join(", ");
    rows.push([`CPU µs per ${stage}`, total.toFixed(1), detail, ""]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((width) => "-".repeat(width)).join("  "));
  lines.push("", "targets:");
  for (const target of targets(results)) lines.push(`  ${target.met ? "met " : "MISS"}  ${target.name} ${target.goal}`);
  return lines.join("\n");
}

/** Writes the results to tools/bench/results/<YYYY-MM-DD>.json and returns the path. */
export function writeResults(results: Results): string {
  const dir = `${ROOT}tools/bench/results`;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${results.startedAt.slice(0, 10)}.json`;
  const document = { ...results, targets: targets(results), summary: summaryLine(results) };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

/** The freshness stage's rows: each run's figures, the minute's sweep alone as the reference. */
function freshnessRows(freshness: Freshness): string[][] {
  const rows: string[][] = [];
  const seconds = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : "none");
  const run = (name: string, result: FreshnessRun) => {
    const { changes, lead } = result;
    const shown = changes.shown === changes.sent ? "" : ` (${changes.sent - changes.shown} never shown)`;
    rows.push([
      `${name}: change to stream p50 / p99`,
      `${ms(changes.p50Ms)} / ${ms(changes.p99Ms)} ms`,
      `${changes.sent} changes${shown}, max ${ms(changes.maxMs)} ms`,
      "",
    ]);
    rows.push([
      `${name}: first publication lead p1 / p50`,
      `${seconds(lead.p1Seconds)} / ${seconds(lead.p50Seconds)} s`,
      `${lead.flights} flights`,
      "",
    ]);
    const cpu = result.cpuMicrosecondsPerItem;
    rows.push([
      `${name}: CPU µs per work item`,
      `${((cpu.scanner ?? 0) + (cpu["redis-server"] ?? 0)).toFixed(1)}`,
      `scanner ${(cpu.scanner ?? 0).toFixed(1)}, redis-server ${(cpu["redis-server"] ?? 0).toFixed(1)}, ` +
      `${int(result.workItems)} items; CPU seconds: scanner ${(result.cpuSeconds.scanner ?? 0).toFixed(2)}, ` +
      `redis-server ${(result.cpuSeconds["redis-server"] ?? 0).toFixed(2)}`,
      "",
    ]);
  };
  run("fresh, change path", freshness.follow);
  run("fresh, sweep alone", freshness.minuteOnly);
  rows.push(["fresh: CPU per work item, change path / sweep alone", "", "", freshness.cpuRatio.toFixed(2)]);
  return rows;
}

/** The archive stage's rows besides its rate: all rows, bytes on disk, the history lookups. */
function archiveRows(archive: ArchiveStage): string[][] {
  const { copy, rows, history } = archive;
  const total = (values: Record<string, number>) => Object.values(values).reduce((sum, value) => sum + value, 0);
  const result = [
    [
      "  work rows / all rows",
      `${int(archive.rowsPerSecond.work_revisions)} / ${int(archive.rowsPerSecond.all)} rows/s`,
      `${int(copy.rowsPerSecond)} all rows/s (COPY)`,
      (archive.rowsPerSecond.all / copy.rowsPerSecond).toFixed(2),
    ],
    [
      "  rows archived",
      `${int(total(rows))} in ${archive.seconds.toFixed(2)} s`,
      `${int(rows.bag_itineraries)} bag, ${int(rows.work_revisions)} work, ${int(rows.flight_versions)} flight, ` +
      `${int(rows.archive_days)} archive_days rows`,
      "",
    ],
    [
      "archive on disk per bag",
      `${int(archive.bytesPerBag)} B`,
      `COPY's tables ${int(total(copy.bytesOnDisk) * archive.bytesPerBag / Math.max(1, total(archive.bytesOnDisk)))} B`,
      "",
    ],
  ];
  if (history) {
    result.push([
      `history of one bag at ${int(history.bags)} bags p50 / p99`,
      `${ms(history.p50Ms)} / ${ms(history.p99Ms)} ms`,
      `max ${ms(history.maxMs)} ms, ${history.lookups} lookups; seeded in ${history.seedSeconds.toFixed(0)} s ` +
      `(${int(history.seedRowsPerSecond)} rows/s), ${int(history.bytesPerBag)} B a bag on disk`,
      "",
    ]);
  }
  return result;
}
