/** A child process that `deno task dev` keeps running: prefixed output, restart with backoff, graceful stop. */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/** Writes one line of the dev console, prefixed with the padded name of whoever wrote it. */
export type PrefixedLog = (label: string, line: string, to?: Writable) => void;

/** Restart delays after consecutive crashes: 1 s, 2 s, 4 s … up to 30 s. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** A child that ran this long before exiting counts as healthy: its next restart waits FIRST_BACKOFF_MS again. */
const HEALTHY_RUN_MS = 60_000;

/** Copies `input` line by line to `output`, each line prefixed with `label`. */
function pipeLines(input: Readable, output: Writable, label: string, log: PrefixedLog): void {
  createInterface({ input, crlfDelay: Infinity }).on("line", (line) => log(label, line, output));
}

/** `process.execPath <args>` in `cwd`, restarted after a backoff whenever it exits on its own. */
export class Supervised {
  #child: ChildProcess | undefined;
  #closed: Promise<void> = Promise.resolve();
  #stopping = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #crashes = 0;

  constructor(
    readonly name: string,
    private readonly args: readonly string[],
    private readonly cwd: string,
    private readonly log: PrefixedLog,
  ) {}

  /** Starts the process (again). */
  start(): void {
    const startedAt = Date.now();
    const child = spawn(process.execPath, this.args, { cwd: this.cwd, stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    pipeLines(child.stdout, process.stdout, this.name, this.log);
    pipeLines(child.stderr, process.stderr, this.name, this.log);
    child.on("error", (error) => this.log("dev", `${this.name}: ${error.message}`, process.stderr));
    // "close" comes after the last output line, so a crash's stack trace prints before the exit line.
    this.#closed = new Promise((resolve) =>
      child.on("close", (code, signal) => {
        resolve();
        // No exit code on purpose: after kill(), Deno 2.9's node:child_process reports the signal sent,
        // even when the child handled it and exited 0.
        if (this.#stopping) return this.log("dev", `${this.name} stopped`);
        const how = signal ? `signal ${signal}` : `code ${code}`;
        this.#crashes = Date.now() - startedAt >= HEALTHY_RUN_MS ? 1 : this.#crashes + 1;
        const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.#crashes - 1));
        this.log("dev", `${this.name} exited with ${how}; restarting in ${backoff / 1000} s`, process.stderr);
        this.#restartTimer = setTimeout(() => this.start(), backoff);
      })
    );
  }

  /** Sends SIGTERM (SIGKILL after `graceMs`), cancels any pending restart, and resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return await this.#closed;
    child.kill("SIGTERM");
    const force = setTimeout(() => {
      this.log("dev", `${this.name} still running after ${graceMs / 1000} s: SIGKILL`, process.stderr);
      // Not child.kill(): Deno 2.9's node:child_process sends nothing after a first kill() (denoland/deno#36643).
      try {
        if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
      } catch { /* it exited meanwhile */ }
    }, graceMs);
    await this.#closed;
    clearTimeout(force);
  }
}
