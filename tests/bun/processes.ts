/**
 * Starting the workers as child processes three ways: under Deno (tests/_helpers/processes.ts), under Bun
 * (`bun run <entrypoint>`), and from the compiled binary (`baggage-router <command>`).
 */
import { COMMANDS } from "../../cli/commands.ts";
import type { ServiceName } from "../../lib/config.ts";
import { startWorker, type WorkerProcess } from "../_helpers/processes.ts";

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
  start: (service, env) => startWorker(COMMANDS[service].entrypoint, env),
};

/** Workers as `bun run <entrypoint>`: the same files, unchanged. */
export const bunLauncher: Launcher = {
  name: "bun",
  start: (service, env) => startProcess(BUN, ["run", COMMANDS[service].entrypoint], env),
};

/** Workers as `<binary> <command>`, run in `cwd` (a folder without the sources, to prove the binary needs none). */
export function binaryLauncher(binary: string, cwd: string): Launcher {
  return { name: "binary", start: (service, env) => startProcess(binary, [service], env, cwd) };
}

/** Starts `command args` with exactly `env`; output is kept for assertions and diagnostics. */
export function startProcess(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  cwd?: string,
): WorkerProcess {
  const child = new Deno.Command(command, {
    args,
    env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    clearEnv: true,
    ...(cwd ? { cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output += chunk;
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let done = false;
  const exited = child.status.then(async (status) => {
    done = true;
    await drained;
    return status.signal === null ? status.code : null;
  });
  return {
    pid: child.pid,
    exited,
    output: () => output,
    isRunning: () => !done,
    kill: async (signal) => {
      if (!done) child.kill(signal);
      return await exited;
    },
  };
}

/** Runs `command args` to the end and returns its exit code and output. */
export async function runToEnd(command: string, args: string[], cwd?: string) {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    ...(cwd ? { cwd } : {}),
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
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
