/**
 * Runs a worker entrypoint as a real child process (the way it runs in production), to kill it.
 * Uses Deno.Command rather than node:child_process: Deno 2.9's node compatibility reports a child
 * that handled SIGTERM and exited 0 as killed by the signal (checked against Node, which reports 0).
 */

import { loadConfig, type ServiceName } from "../../lib/config.ts";
import { denoPermissionFlags, ENTRYPOINTS } from "../../launcher/permissions.ts";
import { waitFor } from "../../lib/poll.ts";

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
  return startProcess(Deno.execPath(), ["run", ...flags, script], env);
}

/**
 * Waits until `worker` logged that `service` started: a SIGTERM before that reaches a process that has
 * not yet installed its handler. Needed when the condition a test waits for may already hold at launch.
 * The line is logged at info level: start such a worker with LOG_LEVEL=info.
 */
export async function waitUntilStarted(worker: WorkerProcess, service: ServiceName): Promise<void> {
  await waitFor(() => worker.output().includes(`"${service} started"`), 60_000, () => worker.output());
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
