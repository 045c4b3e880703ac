/** Stands in for the SIGTERM that npx, `sh -c` and npm's `deno` shim do not forward: notices a wrapper above exiting. */
import { execFile } from "node:child_process";
import process from "node:process";

/**
 * Command lines (as `ps` prints them) of the processes that start a task without forwarding SIGTERM.
 * npm names its process "npm exec …" once running; the shim is node_modules/.bin/deno → deno/bin.cjs,
 * which `deno task` itself runs with `deno run --ext=js -A …/bin.cjs`.
 */
const WRAPPERS = [
  /^(\S*\/)?(npm|npx)( |$)/,
  /^(\S*\/)?node \S*\/(npm|npx)(-cli\.js)?( |$)/,
  /^(\S*\/)?(sh|dash|bash|zsh) -c /,
  /^(\S*\/)?deno task( |$)/,
  /node_modules\/(\.bin\/deno|deno\/bin\.cjs)( |$)/,
];

/** Whether the command line `args` is one of the WRAPPERS. */
export function isWrapper(args: string): boolean {
  return WRAPPERS.some((pattern) => pattern.test(args));
}

/**
 * The pids of the unbroken chain of wrappers from `parent` upwards, given `ps -o pid=,ppid=,args=` output:
 * stops at the first process that is not a wrapper (a shell, a supervisor, init).
 */
export function wrapperChain(psOutput: string, parent: number): number[] {
  const table = new Map<number, { ppid: number; args: string }>();
  for (const line of psOutput.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(line);
    if (match) table.set(Number(match[1]), { ppid: Number(match[2]), args: match[3]!.trim() });
  }
  const chain: number[] = [];
  for (let pid = parent; pid > 1 && !chain.includes(pid);) {
    const entry = table.get(pid);
    if (!entry || !isWrapper(entry.args)) break;
    chain.push(pid);
    pid = entry.ppid;
  }
  return chain;
}

/** Whether process `pid` exists (EPERM: it does, under another user). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code !== "ESRCH";
  }
}

/** The process table as `ps` prints it, or "" where there is no `ps` (then nothing is watched). */
function processTable(): Promise<string> {
  // -ww: full command lines even when the output is not a terminal (BSD ps cuts them otherwise).
  return new Promise((resolve) => {
    execFile("ps", ["-A", "-ww", "-o", "pid=,ppid=,args="], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      resolve(error ? "" : stdout);
    });
  });
}

/**
 * Calls `onGone` once when a wrapper above this process exits or this process is reparented (its parent
 * wrapper died), polling every `intervalMs`. The wrappers are read once with `ps` (Linux and macOS), then
 * checked with kill(pid, 0): both need only the --allow-run the launcher has, where reading other processes'
 * /proc files takes --allow-all on Deno 2.9. Nothing is watched when the parent is no wrapper (a container's
 * init, `deno task dev`). Returns a stop function.
 */
export async function watchWrappers(onGone: () => void, intervalMs = 500): Promise<() => void> {
  const parent = process.ppid;
  const chain = wrapperChain(await processTable(), parent);
  if (chain.length === 0) return () => {};
  const timer = setInterval(() => {
    if (process.ppid === parent && chain.every(exists)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  return () => clearInterval(timer);
}
