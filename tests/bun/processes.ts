/**
 * Starting the workers as child processes three ways: under Deno (tests/_helpers/processes.ts), under Bun
 * (`bun run <entrypoint>`), and from the compiled binary (`baggage-router <command>`).
 */
import { PROCESSES, type ServiceName } from "../../lib/processes.ts";
import { runCommand } from "../../tools/processes.ts";
import { startProcess, startWorker, type WorkerProcess } from "../_helpers/processes.ts";

export { startProcess };

/** The pinned Bun (package.json), relative to the repository root where the tests run. */
export const BUN = "node_modules/bun/bin/bun.exe";

/** Starts one worker process with exactly `env`. */
export interface Launcher {
  readonly name: string;
  start(service: ServiceName, env: Record<string, string | undefined>): WorkerProcess;
}

/** Workers as `deno run <entrypoint>`, with the permissions of their deno tasks. */
export const denoLauncher: Launcher = {
  name: "deno",
  start: (service, env) => startWorker(PROCESSES[service].entrypoint, env),
};

/** Workers as `bun run <entrypoint>`: the same files, unchanged. */
export const bunLauncher: Launcher = {
  name: "bun",
  start: (service, env) => startProcess(BUN, ["run", PROCESSES[service].entrypoint], env),
};

/** Workers as `<binary> <command>`, run in `cwd` (a folder without the sources, to prove the binary needs none). */
export function binaryLauncher(binary: string, cwd: string): Launcher {
  return { name: "binary", start: (service, env) => startProcess(binary, [service], env, cwd) };
}

/** Runs `command args` to the end (in `cwd`, default the repository root) and returns its exit code and output. */
export function runToEnd(command: string, args: string[], cwd?: string) {
  return runCommand(command, args, cwd === undefined ? {} : { cwd });
}

/** The JSON lines of `output` (logs and printed entries), skipping anything else a runtime prints. */
export function jsonLines(output: string): Record<string, unknown>[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line)];
    } catch {
      return [];
    }
  });
}
