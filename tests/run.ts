/**
 * `deno task test`: starts the test stack (its own ports and data folder, so a dev stack can keep
 * running), runs `deno test` against it, and stops it. Extra arguments go to `deno test`.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { commandArgs, environment, exit } from "../lib/runtime.ts";
import { TEST_STACK_ENV } from "./_helpers/test_stack.ts";

const env: Record<string, string | undefined> = { ...environment(), ...TEST_STACK_ENV };
const deno = process.execPath;
const run = (args: string[]) => spawnSync(deno, args, { stdio: "inherit", env }).status ?? 1;

const stackTask = [
  "run",
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys",
  "stack/stack.ts",
];
if (run([...stackTask, "up"]) !== 0) exit(1);
const status = run([
  "test",
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys",
  "--sanitize-ops",
  "--sanitize-resources",
  ...commandArgs(),
]);
if (env.KEEP_TEST_STACK !== "1") run([...stackTask, "down"]);
exit(status);
