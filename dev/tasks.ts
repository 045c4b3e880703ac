/** The command lines of deno.json's tasks, so `deno task dev` runs each process exactly as its own task does. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the working directory of every task. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The arguments after `deno` of the `deno run …` task `name`, e.g. ["run", "--allow-net", …, "stack/stack.ts"].
 * The tasks use no quoting, so splitting on spaces is exact.
 */
export function taskArgs(name: string): string[] {
  const { tasks } = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const command: unknown = tasks?.[name];
  if (typeof command !== "string" || !command.startsWith("deno run ")) {
    throw new Error(`deno.json has no "deno run …" task named ${JSON.stringify(name)}`);
  }
  return command.trim().split(/\s+/).slice(1);
}
