/** Runs a process's entrypoint as a real child process (the way it runs in production), to kill it. */
import { launchArgs } from "../../launcher/permissions.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { PROCESSES, processOfEntrypoint, type ServiceName } from "../../lib/processes.ts";
import { type ChildProcess, spawnChild } from "../../tools/processes.ts";

/** A running worker process. */
export type WorkerProcess = ChildProcess;

/**
 * Starts `deno run <flags> <script>` with exactly `env` and the same narrow permissions as
 * `deno task <process>` gives it (launcher/permissions.ts); output is kept for diagnostics.
 */
export function startWorker(script: string, env: Record<string, string | undefined>): WorkerProcess {
  const service = processOfEntrypoint(script) as ServiceName | undefined;
  if (!service) throw new Error(`${script} is not a process entrypoint`);
  return spawnChild({
    name: service,
    command: Deno.execPath(),
    args: launchArgs(PROCESSES[service], loadConfig(service, env)),
    env,
  });
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
  return spawnChild({ command, args, env, ...(cwd ? { cwd } : {}) });
}
