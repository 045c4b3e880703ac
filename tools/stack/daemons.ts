/**
 * The stack's servers as daemons: detached background processes tracked by pid files, so `down` stops
 * exactly what `up` started, even from another process. (Children a tool waits on use tools/processes.ts.)
 */
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import process from "node:process";
import { delay } from "../../lib/infra/poll.ts";

/** Whether a process with this pid is alive. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid recorded in `pidFile` when that process is still alive. */
export function runningPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Throws when another process (not the one this stack recorded) listens on `port`: the stack would
 * otherwise fail to bind and its health check would answer from the stranger.
 */
export async function requireFreePort(port: number, what: string, variable: string): Promise<void> {
  if (await portInUse(port)) {
    throw new Error(
      `port ${port} for ${what} is taken by a process this stack did not start; stop it or choose another port with ${variable}`,
    );
  }
}

/** Starts `command` detached with output appended to `logFile`, and records its pid. */
export function startDetached(command: string, args: string[], logFile: string, pidFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, "a");
  const child = spawn(command, args, { detached: true, stdio: ["ignore", out, out] });
  if (child.pid === undefined) throw new Error(`Could not start ${command}; see ${logFile}`);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

/** Sends SIGTERM to the recorded process, waits up to `graceMs`, then SIGKILL; removes the pid file. */
export async function stopRecorded(pidFile: string, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(pidFile);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return false;
  }
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await delay(50);
  rmSync(pidFile, { force: true });
  return true;
}

/** SIGKILLs `pid` (when alive), as a crash would, and resolves once it is gone. */
export async function killNow(pid: number | undefined): Promise<void> {
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, "SIGKILL");
  const deadline = Date.now() + 10_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still runs 10 s after SIGKILL`);
    await delay(20);
  }
}
