/** What `deno task dev` runs: every process of the registry marked inDev, each exactly as its `deno task` runs it. */
import { PROCESSES, type Registry, taskCommand } from "../../lib/processes.ts";

/** A child of dev: its name and the arguments after `deno`. */
export interface DevCommand {
  readonly name: string;
  readonly args: readonly string[];
}

/** The children of dev, in registry order. */
export function devCommands(registry: Registry = PROCESSES): DevCommand[] {
  return Object.entries(registry)
    .filter(([, spec]) => spec.inDev)
    .map(([name]) => ({ name, args: taskCommand(name).split(" ").slice(1) }));
}
