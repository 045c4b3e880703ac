/**
 * The bridge stage: the real bridge (bridge/bridge.ts) as a subprocess mirrors the whole work topic
 * into the stream; measured from XINFO STREAM's entries-added until every published bag is there.
 */
import type { Redis } from "../../lib/infra/redis.ts";
import { CpuMeter, cpuPerUnit, stackPids } from "./cpu.ts";
import { entriesAdded, measureUntil, type Throughput } from "./progress.ts";
import { startWorker, type Worker } from "./workers.ts";

export interface BridgeStage extends Throughput {
  /** CPU time per entry of the bridge, Redis and Kafka. */
  readonly cpuMicrosecondsPerEntry: Record<string, number>;
  /** The running bridge, left running for the latency phase. */
  readonly worker: Worker;
}

/** Starts the bridge and waits until `expectedEntries` entries (one per published bag) were appended to `stream`. */
export async function bridgeStage(
  redis: Redis,
  stream: string,
  expectedEntries: number,
  env: Record<string, string | undefined>,
  extraFlags: readonly string[],
): Promise<BridgeStage> {
  const worker = await startWorker({ service: "bridge", name: "bridge", env, extraFlags });
  try {
    const cpu = new CpuMeter({ bridge: worker.child.pid, ...stackPids() }).start();
    const throughput = await measureUntil(
      entriesAdded(redis, stream),
      expectedEntries,
      60_000,
      () => `bridge into ${stream}`,
    );
    return { ...throughput, worker, cpuMicrosecondsPerEntry: cpuPerUnit(cpu.stop(), expectedEntries) };
  } catch (error) {
    await worker.stop();
    throw error;
  }
}

/** Stream entries the bridge appended and skipped as duplicates (its own counters). */
export async function bridgeCounters(worker: Worker): Promise<{ mirrored: number; duplicates: number }> {
  return {
    mirrored: await worker.metric("bridge_entries_mirrored_total"),
    duplicates: await worker.metric("bridge_duplicates_skipped_total"),
  };
}
