/** A description of the machine and the versions a run used, so results can be compared. */
import { readFileSync } from "node:fs";
import { loadStackSettings } from "../stack/settings.ts";
import type { Redis } from "../../lib/infra/redis.ts";
import { environment } from "../../lib/infra/runtime.ts";
import { BENCH_STACK_ENV } from "./bench_stack.ts";
import { readProcFile } from "../processes.ts";

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly kernel: string;
  /** 1-minute load average when the run started: other work on the machine makes figures noisy. */
  readonly loadAverageAtStart: number;
  readonly versions: { deno: string; v8: string; kafka: string; redis: string; kafkajs: string; ioredis: string };
}

const read = (path: string) => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

/** Reads /proc, /etc/os-release and the servers' versions. */
export async function describeMachine(redis: Redis, loadAverageAtStart: number): Promise<Machine> {
  const cpuinfo = readProcFile("/proc/cpuinfo");
  const imports = JSON.parse(read(new URL("../../import_map.json", import.meta.url).pathname) || "{}").imports ?? {};
  const version = (name: string) => String(imports[name] ?? "").replace(/^npm:.*@/, "");
  const redisInfo = await redis.info("server");
  return {
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: cpuinfo.match(/^processor\s*:/gm)?.length ?? navigator.hardwareConcurrency,
    memoryBytes: Number(/^MemTotal:\s+(\d+) kB/m.exec(readProcFile("/proc/meminfo"))?.[1] ?? 0) * 1024,
    os: /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(read("/etc/os-release"))?.[1] ?? Deno.build.os,
    kernel: Deno.osRelease(),
    loadAverageAtStart,
    versions: {
      deno: Deno.version.deno,
      v8: Deno.version.v8,
      kafka: loadStackSettings({ ...environment(), ...BENCH_STACK_ENV }).kafkaVersion,
      redis: /^redis_version:(.*)$/m.exec(redisInfo)?.[1]?.trim() ?? "unknown",
      kafkajs: version("kafkajs"),
      ioredis: version("ioredis"),
    },
  };
}
