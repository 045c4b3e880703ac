/**
 * `deno task dev`: brings the local stack up, then runs every worker and the bridge as children with
 * name-prefixed output, restarting any that exits. Ctrl-C stops the children; the stack keeps running.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import type { Writable } from "node:stream";
import { environment, exit, onShutdownSignal } from "../lib/runtime.ts";
import { startPrometheus } from "../stack/prometheus_server.ts";
import { loadStackSettings } from "../stack/settings.ts";
import { Supervised } from "./supervised.ts";
import { ROOT, taskArgs } from "./tasks.ts";

/** The deno.json tasks that dev runs, in start order, with the entrypoint each one ends up running. */
const SERVICES = [
  { name: "flight-consumer", script: "workers/flight_consumer.ts" },
  { name: "bag-consumer", script: "workers/bag_consumer.ts" },
  { name: "arrival-scanner", script: "workers/arrival_scanner.ts" },
  { name: "producer", script: "workers/test_producer.ts" },
  { name: "bridge", script: "bridge/bridge.ts" },
];
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

// Each child runs its task's exact command line (same permission flags), whatever that task runs in turn.
const commands = SERVICES.map((service) => ({ ...service, args: taskArgs(service.name) }));
const present = commands.filter(({ script }) => existsSync(join(ROOT, script)));
const missing = commands.filter((command) => !present.includes(command));

const width = Math.max("dev".length, ...present.map(({ name }) => name.length));
const log = (label: string, line: string, to: Writable = process.stdout) => {
  to.write(`${label.padEnd(width)} | ${line}\n`);
};

if (missing.length > 0) {
  log("dev", `skipped (file not there yet): ${missing.map(({ name, script }) => `${name} (${script})`).join(", ")}`);
}
if (present.length === 0) {
  log("dev", "nothing to run");
  exit(0);
}

const children = present.map(({ name, args }) => new Supervised(name, args, ROOT, log));
for (const child of children) child.start();
log("dev", `running ${present.map(({ name }) => name).join(", ")}; Ctrl-C stops them`);

onShutdownSignal(async (signal) => {
  log("dev", `${signal}: stopping ${children.length} processes`);
  await Promise.all(children.map((child) => child.stop(STOP_GRACE_MS)));
  log("dev", "all stopped; the stack is still running (stop it with `deno task stack down`)");
  exit(0);
});
