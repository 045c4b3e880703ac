/**
 * CPU time per process over a stage (user + system, from /proc/<pid>/stat), so a run on a busy
 * machine still shows where the work went: CPU per message does not depend on who else runs.
 */
import { readProcFile, ROOT } from "../processes.ts";
import { BENCH_STACK_ENV } from "./bench_stack.ts";

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's times (getconf CLK_TCK, 100 on Linux). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const { stdout } = new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).outputSync();
      ticksPerSecond = Number(new TextDecoder().decode(stdout).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds used so far by `pid` (user + system), or NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = readProcFile(`/proc/${pid}/stat`).split(") ")[1]?.split(" ");
  if (!fields) return NaN;
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** The pids of the bench stack's Redis and Kafka, from their pid files. */
export function stackPids(): Record<string, number> {
  const pid = (file: string) => Number(readProcFile(`${ROOT}${BENCH_STACK_ENV.STACK_DIR}/${file}`).trim());
  const pids: Record<string, number> = {};
  const redis = pid("redis/redis.pid");
  const kafka = pid("kafka/kafka.pid");
  if (redis > 0) pids["redis-server"] = redis;
  if (kafka > 0) pids["kafka-broker"] = kafka;
  return pids;
}

/** CPU seconds per process between `start()` and `stop()`. */
export class CpuMeter {
  private readonly started: Record<string, number> = {};

  constructor(private readonly pids: Record<string, number>) {}

  start(): this {
    for (const [name, pid] of Object.entries(this.pids)) this.started[name] = cpuSeconds(pid);
    return this;
  }

  stop(): Record<string, number> {
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) used[name] = cpuSeconds(pid) - (this.started[name] ?? 0);
    return used;
  }
}

/** Microseconds of CPU per unit of work for each process, and in total. */
export function cpuPerUnit(used: Record<string, number>, units: number): Record<string, number> {
  const perUnit: Record<string, number> = {};
  let total = 0;
  for (const [name, seconds] of Object.entries(used)) {
    if (!Number.isFinite(seconds)) continue;
    perUnit[name] = (seconds * 1e6) / Math.max(1, units);
    total += seconds;
  }
  perUnit.total = (total * 1e6) / Math.max(1, units);
  return perUnit;
}

/**
 * The most units a second that `cores` fully busy cores allow when one unit costs the sum of
 * `microseconds` of CPU (for example decode-only's CPU plus Redis' CPU of the Lua upsert alone).
 */
export function cpuBoundPerSecond(cores: number, microseconds: readonly number[]): number {
  return (cores * 1_000_000) / microseconds.reduce((sum, us) => sum + us, 0);
}
