/**
 * Worker faults: how much of its work a role has done as the progress shows it, waiting until it has
 * done a fraction of it, and SIGKILLing one of its replicas there.
 */
import { corrections } from "./dataset.ts";
import { type FaultRecord, pct } from "./faults.ts";
import type { PipelineRun } from "./pipeline.ts";
import { applied, type Component, type Progress, summary } from "./progress.ts";
import type { Role } from "./workers.ts";

/** How much of its work (over both phases) a role has done, as the progress shows it. */
interface Work {
  readonly component: Component;
  readonly total: number;
  done(progress: Progress): number;
}

/** The work of `role` in this run's dataset. */
export function workOf(run: PipelineRun, role: Role): Work {
  const [phase1, phase2] = run.dataset.phases;
  const flights = phase1.flights.length;
  const published = flights + corrections(run.dataset);
  switch (role) {
    case "flight-consumer":
      return { component: "flights", total: flights + phase2.flights.length, done: (p) => applied(p.offsets.flights) };
    case "bag-consumer":
      return {
        component: "bags",
        total: phase1.bags.length + phase2.bags.length,
        done: (p) => applied(p.offsets.bags),
      };
    case "bridge":
      return { component: "bridge", total: published, done: (p) => applied(p.offsets.bridge) };
    case "archiver":
      // Measured on the bags topic, the largest it archives.
      return {
        component: "archive",
        total: phase1.bags.length + phase2.bags.length,
        done: (p) => applied(p.offsets.archive),
      };
    case "arrival-scanner":
      // Phase 2 is counted against its own digests: the flights its corrections leave unchanged are done already.
      return {
        component: "scanner",
        total: published,
        done: (
          p,
        ) => (p.phase === 0 ? p.scanner : flights + Math.max(0, p.scanner - (flights - corrections(run.dataset)))),
      };
  }
}

/** SIGKILLs replica `replica` of `role`, samples the progress, and restarts it unless told not to. */
export async function kill(run: PipelineRun, role: Role, replica: number, restart: boolean) {
  await run.pool.stop(role, replica, "SIGKILL");
  const before = await run.monitor.sample();
  if (restart) run.pool.start(role, replica);
  const work = workOf(run, role);
  const at = `${pct(work.done(before) / work.total)} of its work (${work.done(before)}/${work.total})`;
  run.debug(`SIGKILL ${role}#${replica} at ${at}: ${JSON.stringify(summary(before))}`);
  return { before, clearedAt: Date.now(), at };
}

/**
 * Waits until `role` has done `fraction` of its work (of `of`) while replica `replica` runs; false when the
 * role's work ended first (the scanner runs only during scan rounds, which can end between two samples).
 */
export async function reach(run: PipelineRun, role: Role, replica: number, fraction: number, of?: number) {
  const work = workOf(run, role);
  const target = Math.floor(fraction * (of ?? work.total));
  const over = role === "arrival-scanner" ? "scanned2" : "mirrored2";
  await run.until(
    (p) => (work.done(p) >= target && run.pool.get(role, replica) !== undefined) || run.stages.reached(over),
    `${role} reaching ${pct(fraction)} of its work`,
  );
  return run.pool.get(role, replica) !== undefined;
}

/** Waits until the bag consumer has done `fraction` of its work; returns `fraction`. */
export async function reachBags(run: PipelineRun, fraction: number): Promise<number> {
  await reach(run, "bag-consumer", 0, fraction);
  return fraction;
}

/** The record of a kill that did not happen because the worker's work was over. */
export const skipped = (role: Role, fraction: number): FaultRecord => ({
  what: `SIGKILL ${role} at ${pct(fraction)} of its work: skipped, its work was over first`,
  recoverySeconds: 0,
  skipped: true,
});
