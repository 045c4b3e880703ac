/**
 * Runs a worker entrypoint as a real child process (the way it runs in production), to kill it.
 * Uses Deno.Command rather than node:child_process: Deno 2.9's node compatibility reports a child
 * that handled SIGTERM and exited 0 as killed by the signal (checked against Node, which reports 0).
 */

import { loadConfig, type ServiceName } from "../../lib/config.ts";
import { denoPermissionFlags, ENTRYPOINTS } from "../../launcher/permissions.ts";

/** A running worker process. */
export interface WorkerProcess {
  readonly pid: number;
  /** Exit code, or null when a signal ended the process. */
  readonly exited: Promise<number | null>;
  readonly output: () => string;
  isRunning(): boolean;
  kill(signal: "SIGKILL" | "SIGTERM"): Promise<number | null>;
}

/**
 * Starts `deno run <flags> <script>` with exactly `env` and the same narrow permissions as
 * `deno task <process>` gives it (launcher/permissions.ts); output is kept for diagnostics.
 */
export function startWorker(script: string, env: Record<string, string | undefined>): WorkerProcess {
  const service = (Object.keys(ENTRYPOINTS) as ServiceName[]).find((name) => ENTRYPOINTS[name] === script);
  if (!service) throw new Error(`${script} is not a process entrypoint`);
  const flags = denoPermissionFlags(loadConfig(service, env));
  const definedEnv = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, script],
    env: definedEnv,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) output += chunk;
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const exited = child.status.then(async (status) => {
    await drained;
    return status.signal === null ? status.code : null;
  });
  let done = false;
  exited.then(() => (done = true));
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
