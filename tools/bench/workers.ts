/**
 * The real workers as subprocesses, with their metrics endpoint and peak RSS. Each runs its entrypoint
 * with exactly the permission flags that its deno.json task (launcher/launch.ts) derives from the same
 * configuration, but without the launcher in between, so the child's pid is the worker's own.
 */
import { launchArgs } from "../../launcher/permissions.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { PROCESSES, type ServiceName } from "../../lib/processes.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { type ChildProcess, spawnChild } from "../processes.ts";

/** A started worker. */
export interface Worker {
  readonly child: ChildProcess;
  readonly metricsPort: number;
  /** The sum over label sets of metric `name` on the worker's /metrics. */
  metric(name: string): Promise<number>;
  /** Stops the worker gracefully; returns its peak RSS in bytes (read just before the stop). */
  stop(): Promise<number | undefined>;
}

export interface WorkerOptions {
  /** The process, e.g. "bag-consumer". */
  readonly service: ServiceName;
  /** A name for messages, e.g. "bag-consumer-2". */
  readonly name: string;
  readonly env: Record<string, string | undefined>;
  /** Extra `deno run` flags placed before the script, e.g. --cpu-prof. */
  readonly extraFlags?: readonly string[];
}

/** `deno run` arguments of `service` as its task runs it, with `extraFlags` before the entrypoint. */
export function workerArgs(
  service: ServiceName,
  env: Record<string, string | undefined>,
  extraFlags: readonly string[] = [],
): string[] {
  return launchArgs(PROCESSES[service], loadConfig(service, env), extraFlags);
}

/** Every worker started and not yet stopped, so that a failing run stops them all. */
const running = new Set<Worker>();

/** Stops every worker still running (after a failure). */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...running].map((worker) => worker.stop()));
}

/** Starts a worker and resolves once it logged that it started (its consumer joined the group). */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  // The "started" info line carries the metrics port.
  const env = { ...options.env, METRICS_PORT: "0", METRICS_HOST: "127.0.0.1", LOG_LEVEL: "info" };
  let metricsPort: number | undefined;
  const child = spawnChild({
    name: options.name,
    command: Deno.execPath(),
    args: workerArgs(options.service, env, options.extraFlags),
    env,
    onLine: (line) => {
      const port = /"metrics_port":(\d+)/.exec(line)?.[1];
      if (port !== undefined) metricsPort = Number(port);
      // kafkajs logs a group rebalance as an error on each heartbeat: expected when processes join.
      const shown = /"level":"fatal"/.test(line) || (/"level":"error"/.test(line) && !line.includes('"kafka":'));
      if (shown) console.error(`${options.name}: ${line}`);
    },
  });
  let exited = false;
  child.exited.then(() => (exited = true));
  // waitFor returns the first value other than false.
  const port = await waitFor(
    (): number | false => {
      if (exited) throw new Error(`${options.name} exited during start-up:\n${child.tail()}`);
      return metricsPort ?? false;
    },
    120_000,
    (last) => `${options.name} did not start: ${last}\n${child.tail()}`,
    50,
  ).catch(async (error) => {
    await child.stop(1_000);
    throw error;
  }) as number;
  const worker: Worker = {
    child,
    metricsPort: port,
    metric: (name) => scrapeMetric(port, name),
    stop: async () => {
      running.delete(worker);
      const peak = child.peakRssBytes();
      const code = await child.stop();
      if (code !== 0) console.error(`bench: ${options.name} exited with ${code ?? "a signal"}:\n${child.tail()}`);
      return peak;
    },
  };
  running.add(worker);
  return worker;
}

/** Reads metric `name` from a Prometheus text endpoint, summed over its label sets. */
export async function scrapeMetric(port: number, name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await response.text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}
