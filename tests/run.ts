/**
 * `deno task test`: starts the test stack (its own ports and data folder, so a dev stack can keep
 * running), installs Chromium when it is missing, runs `deno test` against them, and stops the stack and the tests'
 * Redis Cluster. Extra arguments go to `deno test`.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { commandArgs, environment, exit } from "../lib/infra/runtime.ts";
import { ensureChromium } from "../tools/browser/chromium.ts";
import { taskArgs } from "../tools/processes.ts";
import { stopRedisCluster } from "../tools/stack/redis_cluster.ts";
import { CLUSTER_STACK_SETTINGS } from "./_helpers/cluster_stack.ts";
import { TEST_STACK_ENV } from "./_helpers/test_stack.ts";

const env: Record<string, string | undefined> = { ...environment(), ...TEST_STACK_ENV };
const deno = process.execPath;
const run = (args: string[]) => spawnSync(deno, args, { stdio: "inherit", env }).status ?? 1;

// The stack runs exactly as `deno task stack` runs it; the tests get the same broad permissions as a developer.
const stackTask = taskArgs("stack");
// All of them: playwright-core (the board's browser tests) reads /proc/sys/fs/binfmt_misc, which Deno lets only
// --allow-all read. The processes under test still get their own narrow permissions (launcher/permissions.ts).
const testPermissions = ["--allow-all"];
if (run([...stackTask, "up"]) !== 0) exit(1);
// The board's browser tests need it (tests/board/).
try {
  ensureChromium();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  exit(1);
}
const status = run(["test", ...testPermissions, "--sanitize-ops", "--sanitize-resources", ...commandArgs()]);
// The Redis Cluster of the cluster tests stays up from one test to the next (cluster_stack.ts): stopped here, always,
// so that nothing holds its ports after the run.
await stopRedisCluster(CLUSTER_STACK_SETTINGS);
if (env.KEEP_TEST_STACK !== "1") run([...stackTask, "down"]);
exit(status);
