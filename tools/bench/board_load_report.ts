/**
 * The board stage in the bench's output (issue 17): its rows and targets, and `deno task bench --only board`, which
 * runs it alone and writes its figures to tools/bench/results/board-load-<date>.json.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import type { Target } from "./baggage_messages_report.ts";
import { benchRedis, benchRedisUrl, stack } from "./bench_stack.ts";
import { type BoardLoad, boardLoadStage, type BoardMemory, type LatencyFigures } from "./board_load.ts";
import { describeMachine, type Machine } from "./machine.ts";
import type { BenchOptions } from "./options.ts";
import { ROOT } from "../processes.ts";
import { stopAllWorkers } from "./workers.ts";

/** Issue 17's goal for entry to client. */
const P99_GOAL_MS = 2_000;

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const mib = (bytes: number | undefined) => (bytes === undefined ? "?" : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const latency = (figures: LatencyFigures) =>
  figures.count === 0 ? "none" : `${int(figures.p50Ms)} / ${int(figures.p99Ms)} / ${int(figures.maxMs)} ms`;
const heap = (memory: BoardMemory) =>
  `V8 heap ${mib(memory.heapUsedBytes)} used of ${mib(memory.heapTotalBytes)}, external ${mib(memory.externalBytes)}`;

/** The goals and whether this run met them. */
export function boardTargets(board: BoardLoad): Target[] {
  return [
    { name: `no client dropped (${board.clients} clients, ${board.seconds} s)`, goal: "0", met: board.dropped === 0 },
    { name: "stream entry to client p99", goal: "< 2 s", met: board.latency.p99Ms < P99_GOAL_MS },
    { name: "clients that missed a flight written during the hold", goal: "0", met: board.missed === 0 },
  ];
}

/** The stage's rows (stage, figure, detail), with the machine first when given. */
export function boardRows(board: BoardLoad, machine?: Machine): string[][] {
  const rows: string[][] = [];
  if (machine) {
    rows.push([
      "machine",
      `${machine.cores} cores, ${mib(machine.memoryBytes)}`,
      `${machine.cpuModel}; ${machine.os}, ${machine.kernel}; load ${
        machine.loadAverageAtStart.toFixed(2)
      } at start; ` +
      `deno ${machine.versions.deno}, redis ${machine.versions.redis}, ioredis ${machine.versions.ioredis}`,
    ]);
  }
  const { prefill, written, connect, board: process, cpuCores } = board;
  rows.push(
    [
      "board: stream at start",
      `${int(prefill.flights)} flights`,
      `${int(prefill.revisions)} revisions, ${int(prefill.entries)} entries`,
    ],
    [
      `board: written in ${board.seconds} s`,
      `${int(written.flights)} flights + ${int(written.corrections)} corrections`,
      `${int(written.entries)} entries`,
    ],
    [
      `board: ${int(board.clients)} clients connected`,
      `in ${connect.seconds.toFixed(1)} s (board ${connect.boardCores.toFixed(2)} cores)`,
      `first event (the whole board) ${mib(connect.firstEventBytes)}, ` +
      `${connect.firstEventFlights.min}-${connect.firstEventFlights.max} flights`,
    ],
    [
      "  entry to client while connecting p50 / p99 / max",
      latency(connect.latency),
      `${int(connect.latency.count)} events`,
    ],
    ["board: entry to client p50 / p99 / max", latency(board.latency), `${int(board.events)} events at all clients`],
    ["board: clients dropped", int(board.dropped), board.droppedReasons.join("; ")],
    [
      "board: clients that missed a flight",
      int(board.missed),
      `keep-alives received per client >= ${board.keepAlivesMin}`,
    ],
    [
      "board: RSS no client / N clients",
      `${mib(process.idle.rssBytes)} / ${mib(process.loaded.rssBytes)}`,
      `${process.kibPerClient.toFixed(1)} KiB per client; peak ${mib(process.peakRssBytes)}`,
    ],
    ["  no client", mib(process.idle.rssBytes), heap(process.idle)],
    ["  N clients", mib(process.loaded.rssBytes), heap(process.loaded)],
    [
      `  ${process.leftSeconds.toFixed(1)} s after they left (board_clients ${process.afterClose.clients})`,
      mib(process.afterClose.rssBytes),
      heap(process.afterClose),
    ],
    [
      "board: board_clients at the end",
      int(process.clientsMetric),
      `board_slow_clients_closed_total ${int(process.slowClientsClosed)}`,
    ],
    [
      "board: CPU (cores busy during the hold)",
      (cpuCores.board ?? NaN).toFixed(2),
      Object.entries(cpuCores).map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(", "),
    ],
  );
  return rows;
}

/** The stage's rows as a table, then its targets. */
export function boardTable(board: BoardLoad, machine?: Machine): string {
  const rows = [["stage", "figure", "detail"], ...boardRows(board, machine)];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((width) => "-".repeat(width)).join("  "));
  lines.push("", "targets:");
  for (const target of boardTargets(board)) {
    lines.push(`  ${target.met ? "PASS" : "MISS"}  ${target.name} ${target.goal}`);
  }
  return lines.join("\n");
}

/** tools/bench/results/board-load-<date>.json, or -2, -3… when a run of that day is there already. */
function writeBoardResults(document: Record<string, unknown>, startedAt: string): string {
  const dir = `${ROOT}tools/bench/results`;
  mkdirSync(dir, { recursive: true });
  const base = `${dir}/board-load-${startedAt.slice(0, 10)}`;
  let path = `${base}.json`;
  for (let n = 2; existsSync(path); n++) path = `${base}-${n}.json`;
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  return path;
}

/** `deno task bench --only board` on a started bench stack: the exit code; stops the stack unless --keep-stack. */
export async function boardLoadAlone(
  options: BenchOptions,
  run: { readonly args: readonly string[]; readonly startedAt: string; readonly loadAverageAtStart: number },
  step: (message: string) => void,
): Promise<number> {
  const began = performance.now();
  let code = 0;
  try {
    const board = await boardLoadStage({
      clients: options.boardClients ?? 1000,
      seconds: options.boardSeconds ?? 60,
      seed: options.seed,
      redisUrl: benchRedisUrl,
    }, step);
    const redis = await benchRedis(0);
    const machine = await describeMachine(redis, run.loadAverageAtStart);
    await redis.quit();
    console.log(boardTable(board, machine));
    const document = {
      startedAt: run.startedAt,
      commandLine: `deno task bench ${run.args.join(" ")}`,
      totalSeconds: (performance.now() - began) / 1000,
      options,
      machine,
      stages: { board },
      targets: boardTargets(board),
    };
    step(`results written to ${writeBoardResults(document, run.startedAt)}`);
  } catch (error) {
    code = 1;
    console.error(`bench: failed: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    await stopAllWorkers();
    if (!options.keepStack) {
      step("stopping the bench stack (--keep-stack leaves it running)");
      await stack("down").catch((error) => console.error(`bench: stack down failed: ${error}`));
    }
  }
  return code;
}
