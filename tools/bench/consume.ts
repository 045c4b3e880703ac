/**
 * A consumption stage: the real consumer workers (flight or bag) as subprocesses, measured from the
 * offsets they record in Redis (`offsets:<topic>`, written atomically with the data) until the whole topic is applied.
 */
import type { ServiceName } from "../../lib/processes.ts";
import type { Kafka } from "../../lib/infra/kafka.ts";
import { appliedOffsetsKey } from "../../lib/infra/keys.ts";
import type { Redis } from "../../lib/infra/redis.ts";
import { messageCount, topicEnds } from "./bench_stack.ts";
import { CpuMeter, cpuPerUnit, stackPids } from "./cpu.ts";
import { appliedMessages, measureUntil, type Throughput } from "./progress.ts";
import { startWorker, type Worker } from "./workers.ts";

/** The shortest window, and the least share of the topic consumed in it, that per-process figures are given for. */
const MIN_WINDOW_SECONDS = 1;
const MIN_WINDOW_SHARE = 0.05;

/** One worker process's share of a stage. */
export interface ProcessFigures {
  readonly name: string;
  /** Messages it applied (its processed_*_total counter). */
  readonly processed: number;
  /**
   * Its rate from the moment every process ran to the end of the stage; undefined when that window was too short
   * to measure (the processes that started first consumed nearly everything before the last one joined).
   */
  readonly perSecond: number | undefined;
  readonly peakRssBytes: number | undefined;
}

export interface StageResult extends Throughput {
  readonly messages: number;
  /** CPU time per message of each process (workers, Redis, Kafka) while all workers ran. */
  readonly cpuMicrosecondsPerMessage: Record<string, number>;
  readonly processes: readonly ProcessFigures[];
}

export interface StageOptions {
  readonly service: ServiceName;
  /** The worker's counter of applied messages, e.g. processed_bags_total. */
  readonly processedMetric: string;
  readonly topic: string;
  readonly processes: number;
  readonly env: Record<string, string | undefined>;
  readonly extraFlags?: readonly string[];
}

/** Runs `processes` workers until every message of `topic` is applied to Redis, then stops them. */
export async function consumeStage(kafka: Kafka, redis: Redis, options: StageOptions): Promise<StageResult> {
  const ends = await topicEnds(kafka, options.topic);
  const messages = messageCount(ends);
  const workers: Worker[] = [];
  try {
    const starting = Promise.all(Array.from({ length: options.processes }, (_, index) =>
      startWorker({
        service: options.service,
        name: `${options.service}-${index + 1}`,
        env: options.env,
        ...(options.extraFlags ? { extraFlags: options.extraFlags } : {}),
      }).then((worker) => workers.push(worker))));
    // Each process's counter and everyone's CPU time when all of them run, to rate each over the same window.
    let baseline: { at: number; counts: number[]; applied: number; cpu: CpuMeter } | undefined;
    let startError: unknown;
    const counts = () => Promise.all(workers.map((worker) => worker.metric(options.processedMetric)));
    const applied = appliedMessages(redis, appliedOffsetsKey(options.topic), String, ends);
    starting.then(async () => {
      const cpu = new CpuMeter({
        ...stackPids(),
        ...Object.fromEntries(workers.map((worker) => [worker.child.name, worker.child.pid])),
      }).start();
      baseline = { counts: await counts(), applied: await applied(), at: performance.now(), cpu };
    }).catch((error) => (startError = error));
    // Polling starts with the processes: the first one may finish a small topic before the last one joins.
    const describe = () => `${options.service} on ${options.topic}`;
    const throughput = await measureUntil(applied, messages, 60_000, describe, () => {
      if (startError !== undefined) throw startError;
      return baseline !== undefined;
    });
    const cpu = baseline?.cpu.stop() ?? {};
    const end = { counts: await counts(), at: performance.now() };
    const from = baseline ?? { counts: end.counts.map(() => 0), at: end.at, applied: messages };
    const names = workers.map((worker) => worker.child.name);
    const peaks = await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    const seconds = (end.at - from.at) / 1000;
    // Figures over a window in which almost nothing was consumed would be noise divided by almost nothing.
    const measured = seconds >= MIN_WINDOW_SECONDS && messages - from.applied >= messages * MIN_WINDOW_SHARE;
    return {
      ...throughput,
      messages,
      cpuMicrosecondsPerMessage: measured ? cpuPerUnit(cpu, messages - from.applied) : {},
      processes: end.counts.map((count, index) => ({
        name: names[index]!,
        processed: count,
        perSecond: measured ? (count - from.counts[index]!) / seconds : undefined,
        peakRssBytes: peaks[index],
      })),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}
