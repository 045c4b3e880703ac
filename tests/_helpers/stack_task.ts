/** `deno task stack` run as a child exactly as the task runs it, and the processes a stack folder started. */
import { spawn, spawnSync } from "node:child_process";
import process from "node:process";
import { ROOT, taskArgs } from "../../tools/processes.ts";

/** The `stack` task's command line in deno.json: `deno run <flags> tools/stack/stack.ts`. */
const STACK_TASK = taskArgs("stack");

/** Runs `tools/stack/stack.ts <args>` as the task does, returning its exit code, output and duration. */
export function runStack(args: string | string[], env: Record<string, string | undefined>) {
  const started = Date.now();
  const child = spawn(process.execPath, [...STACK_TASK, ...[args].flat()], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((done) =>
    child.on("close", (code) => done({ code, stdout, stderr, ms: Date.now() - started }))
  );
}

/** Pids of running processes whose title mentions any of `texts` (from `ps`: Deno reads /proc only with --allow-all). */
export function processesMentioning(...texts: string[]): number[] {
  const ps = spawnSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" });
  if (ps.status !== 0) throw new Error(`ps failed: ${ps.stderr}`);
  return ps.stdout.split("\n").map((line) => line.trim().split(/\s+/))
    .filter(([, stat, ...args]) =>
      stat !== undefined && !stat.startsWith("Z") && texts.some((text) => args.join(" ").includes(text))
    )
    .map(([pid]) => Number(pid)).sort((a, b) => a - b);
}
