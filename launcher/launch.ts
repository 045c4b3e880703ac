/**
 * `deno task <process>`: validates the configuration, then runs the process's entrypoint in a child
 * Deno with the narrowest permissions (see permissions.ts), forwarding SIGINT/SIGTERM and its exit code.
 * npx and npm's `deno` shim do not forward SIGTERM: the exit of such a wrapper above counts as one (parent_watch.ts).
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { ConfigError, loadConfig } from "../lib/infra/config.ts";
import { commandArgs, exit, onShutdownSignal } from "../lib/infra/runtime.ts";
import { isServiceName, PROCESSES, SERVICE_NAMES } from "../lib/processes.ts";
import { watchWrappers } from "./parent_watch.ts";
import { launchArgs } from "./permissions.ts";

const [name] = commandArgs();
if (!isServiceName(name)) {
  console.error(`usage: launch.ts <${SERVICE_NAMES.join("|")}>`);
  exit(2);
}
try {
  const child = spawn(process.execPath, launchArgs(PROCESSES[name], loadConfig(name)), { stdio: "inherit" });
  let forwarded = false;
  const forward = (signal: string) => {
    if (forwarded) return;
    forwarded = true;
    child.kill(signal as NodeJS.Signals);
  };
  // Deno 2.9's node:child_process reports a child that handled a signal sent by kill() as killed by it,
  // even when it exited 0; the worker logs its own clean stop, so a forwarded signal counts as success.
  child.on("exit", (code, signal) => exit(code ?? (signal && forwarded ? 0 : 1)));
  onShutdownSignal(forward);
  void watchWrappers(() => forward("SIGTERM"));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  exit(2);
}
