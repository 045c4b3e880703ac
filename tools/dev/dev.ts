/**
 * `deno task dev`: brings the local stack up, then runs the processes of plan.ts as children with
 * name-prefixed output, restarting any that exits. Ctrl-C stops the children; the stack keeps running.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import type { Writable } from "node:stream";
import { environment, exit, onShutdownSignal } from "../../lib/infra/runtime.ts";
import { startPrometheus } from "../stack/prometheus_server.ts";
import { loadStackSettings } from "../stack/settings.ts";
import { ROOT, taskArgs } from "../processes.ts";
import { devCommands } from "./plan.ts";
import { Supervised } from "./supervised.ts";

/** How long a child gets to close gracefully after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 15_000;

const up = spawnSync(process.execPath, [...taskArgs("stack"), "up"], { cwd: ROOT, stdio: "inherit" });
if (up.status !== 0) {
  console.error(`dev: the stack did not come up (exit ${up.status ?? up.signal}); nothing started`);
  exit(1);
}

// The local Prometheus (DEV_PROMETHEUS=0 skips it); dev goes on without it if it cannot start.
if (environment().DEV_PROMETHEUS !== "0") {
  try {
    const { url } = await startPrometheus(loadStackSettings());
    console.log(`dev: Prometheus on ${url} (stopped by \`deno task stack down\`)`);
  } catch (error) {
    console.error(`dev: no local Prometheus: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const present = devCommands();
const width = Math.max("dev".length, ...present.map(({ name }) => name.length));
const log = (label: string, line: string, to: Writable = process.stdout) => {
  to.write(`${label.padEnd(width)} | ${line}\n`);
};

const children = present.map(({ name, args }) => new Supervised(name, args, log));
for (const child of children) child.start();
log("dev", `running ${present.map(({ name }) => name).join(", ")}; Ctrl-C stops them`);

onShutdownSignal(async (signal) => {
  log("dev", `${signal}: stopping ${children.length} processes`);
  await Promise.all(children.map((child) => child.stop(STOP_GRACE_MS)));
  log("dev", "all stopped; the stack is still running (stop it with `deno task stack down`)");
  exit(0);
});
