/**
 * SIGTERM to the one pid a supervisor knows stops the worker gracefully and ends every process of the tree,
 * for each documented way of starting a process: `npx deno task`, `deno task` (npm's shim or the Deno
 * executable), and the launcher as PID 1 (the Docker image: its entrypoint execs `deno run … launcher/launch.ts`).
 */
import assert from "node:assert/strict";
import type { ServiceName } from "../../lib/processes.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { taskArgs } from "../../tools/processes.ts";
import { isolatedEnvironment } from "../_helpers/fixtures.ts";
import { startProcess, waitUntilStarted, type WorkerProcess } from "../_helpers/processes.ts";
import { jsonLines } from "../bun/processes.ts";

/** A process as `ps` lists it. */
interface Recorded {
  readonly pid: number;
  readonly ppid: number;
  /** The state letter: Z for a zombie (dead, only waiting for its parent to collect the status). */
  readonly state: string;
  readonly args: string;
}

/**
 * Every process, from `ps`: Deno 2.9 allows reading /proc/<pid> of other processes only with --allow-all,
 * which the tests do not have (procps reads the same files).
 */
async function processTable(): Promise<Map<number, Recorded>> {
  const output = await new Deno.Command("ps", { args: ["-A", "-ww", "-o", "pid=,ppid=,stat=,args="] }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const table = new Map<number, Recorded>();
  for (const line of new TextDecoder().decode(output.stdout).split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s(.*)$/.exec(line);
    if (!match) continue;
    const [, pid, ppid, state, args] = match;
    table.set(Number(pid), { pid: Number(pid), ppid: Number(ppid), state: state![0]!, args: args!.trim() });
  }
  return table;
}

/** `root` and every process below it, parents first. */
async function processTree(root: number): Promise<Recorded[]> {
  const table = await processTable();
  const tree = [table.get(root)!];
  for (let i = 0; i < tree.length; i++) {
    tree.push(...[...table.values()].filter((entry) => entry.ppid === tree[i]!.pid));
  }
  return tree;
}

/** The processes of `tree` that have not exited yet (a zombie has), as they are now. */
async function stillRunning(tree: Recorded[]): Promise<Recorded[]> {
  const table = await processTable();
  return tree.map(({ pid }) => table.get(pid)).filter((now): now is Recorded => now !== undefined && now.state !== "Z");
}

/**
 * Starts `command args`, waits for "`service` started", records the process tree, sends SIGTERM to
 * `target(tree)` only, and waits (at most 30 s) for the worker's graceful stop and the end of every
 * recorded process. Returns the exit code of `command` (null: ended by a signal) and the tree.
 */
async function stopOnSigterm(
  service: ServiceName,
  command: string,
  args: string[],
  target: (tree: Recorded[]) => number = (tree) => tree[0]!.pid,
): Promise<{ exit: number | null; tree: Recorded[] }> {
  // BOARD_PORT 0: the board listens on a free port, clear of a running dev stack.
  const env = isolatedEnvironment(service, { LOG_LEVEL: "info", BOARD_PORT: "0" });
  const top: WorkerProcess = startProcess(command, args, env);
  let tree: Recorded[] = [];
  try {
    await waitUntilStarted(top, service);
    tree = await processTree(top.pid);
    assert.ok(tree.some((entry) => entry.args.includes("launcher/launch.ts")), JSON.stringify(tree));
    Deno.kill(target(tree), "SIGTERM");
    let running = tree;
    await waitFor(
      async () => (running = await stillRunning(tree)).length === 0 && top.output().includes(`"${service} stopped"`),
      30_000,
      () => `still running 30 s after SIGTERM: ${JSON.stringify(running)}\n${top.output()}`,
      250,
    );
    const stops = jsonLines(top.output()).filter((line) => String(line.message).startsWith(`${service} stop`));
    assert.deepEqual(
      stops.map((line) => [line.message, line.signal]),
      [[`${service} stopping`, "SIGTERM"], [`${service} stopped`, undefined]],
    );
    return { exit: await top.exited, tree };
  } finally {
    // Only after a failure: nothing of the tree may outlive the test.
    for (const { pid } of await stillRunning(tree)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone meanwhile */ }
    }
    if (top.isRunning()) await top.kill("SIGKILL");
    await top.exited;
  }
}

Deno.test("npx deno task bag-consumer stops the worker on SIGTERM to its pid, and every process of its tree exits", async () => {
  const { exit, tree } = await stopOnSigterm("bag-consumer", "npx", ["deno", "task", "bag-consumer"]);
  // npm forwards the signal to its `sh -c`, which dies of it; npm then ends by the same signal.
  assert.equal(exit, null);
  assert.match(tree[0]!.args, /^npm exec deno task bag-consumer$/);
  assert.match(tree[1]!.args, /^sh -c /, "npm runs the command through sh, which forwards nothing");
});

for (const service of ["flight-consumer", "arrival-scanner", "bridge", "baggage-messages", "board"] as const) {
  Deno.test(`npx deno task ${service} stops the worker on SIGTERM to its pid, and every process of its tree exits`, async () => {
    const { exit } = await stopOnSigterm(service, "npx", ["deno", "task", service]);
    assert.equal(exit, null);
  });
}

Deno.test("deno task bag-consumer through npm's node_modules/.bin/deno stops the worker on SIGTERM to its pid", async () => {
  const { exit, tree } = await stopOnSigterm("bag-consumer", "node_modules/.bin/deno", ["task", "bag-consumer"]);
  assert.equal(exit, null, "the shim (node) ends by the signal, without forwarding it");
  assert.match(tree[0]!.args, /^node \S*node_modules\/\.bin\/deno task bag-consumer$/);
});

Deno.test("deno task bag-consumer run by the Deno executable stops the worker on SIGTERM to its pid", async () => {
  const { exit } = await stopOnSigterm("bag-consumer", Deno.execPath(), ["task", "bag-consumer"]);
  // `deno task` passes SIGTERM on to its child, here npm's `deno` shim (deno/bin.cjs, first on the task's PATH),
  // which dies of it without passing it on; `deno task` then exits 128 + 15.
  assert.equal(exit, 143);
});

/** Whether `unshare` can give a process a PID namespace of its own here (root on Linux). */
const unshareMissing = (() => {
  try {
    const { success } = new Deno.Command("unshare", { args: ["--pid", "--fork", "true"], stderr: "null" })
      .outputSync();
    return success ? undefined : "unshare --pid fails (not root?)";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
})();
if (unshareMissing) console.warn(`PID 1 test skipped: ${unshareMissing}`);

Deno.test({
  name: "the launcher as PID 1, as in the Docker image, stops the worker on SIGTERM and exits",
  ignore: unshareMissing !== undefined,
  async fn() {
    // The image runs `deno <the task's arguments>` (docker-compose.yml gives each service its task's line);
    // as PID 1 it gets only the signals it handles, as a container's main process does from `docker stop`.
    const args = ["--pid", "--fork", "--kill-child", Deno.execPath(), ...taskArgs("bag-consumer")];
    const { exit } = await stopOnSigterm("bag-consumer", "unshare", args, (tree) => tree[1]!.pid);
    assert.equal(exit, 0);
  },
});
