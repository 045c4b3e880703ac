/**
 * What the scenarios share about a fault: it is injected right after a progress sample, and recorded with
 * the time the pipeline took to recover from it.
 */
import type { PipelineRun } from "./pipeline.ts";
import type { Component, Progress } from "./progress.ts";
import type { Role } from "./workers.ts";

/** A fault a scenario injected, and how long the pipeline took to recover from it. */
export interface FaultRecord {
  readonly what: string;
  readonly recoverySeconds: number;
  /** A fault planned but not injected (the worker's work was over before its moment). */
  readonly skipped?: boolean;
}

/** A fault injected: the progress sampled just before it, and when it began and cleared (ms since the epoch). */
export interface InjectedFault {
  readonly before: Progress;
  readonly startedAt: number;
  readonly clearedAt: number;
}

/** `fraction` as a whole percentage, for the faults' descriptions. */
export const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** The record of `fault`, described as `what`, once `components` recovered from it (see PipelineRun.recovery). */
export async function recorded(
  run: PipelineRun,
  what: string,
  components: readonly Component[],
  fault: Pick<InjectedFault, "before" | "clearedAt">,
  restarted?: { role: Role; replica: number },
): Promise<FaultRecord> {
  return { what, recoverySeconds: await run.recovery(components, fault.before, fault.clearedAt, restarted) };
}

/** Injects `fault`, sampling the progress just before; returns once it cleared. */
export async function sampledFault(run: PipelineRun, fault: () => Promise<unknown>): Promise<InjectedFault> {
  const before = await run.monitor.sample();
  const startedAt = Date.now();
  await fault();
  return { before, startedAt, clearedAt: Date.now() };
}

/** How long `fault` lasted, in whole seconds. */
export const lasted = (fault: InjectedFault) => ((fault.clearedAt - fault.startedAt) / 1000).toFixed(0);
