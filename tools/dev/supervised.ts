/** A child process that `deno task dev` keeps running: prefixed output, restart with backoff, graceful stop. */
import process from "node:process";
import type { Writable } from "node:stream";
import { type ChildProcess, ROOT, spawnChild } from "../processes.ts";
import { environment } from "../../lib/infra/runtime.ts";

/** Writes one line of the dev console, prefixed with the padded name of whoever wrote it. */
export type PrefixedLog = (label: string, line: string, to?: Writable) => void;

/** Restart delays after consecutive crashes: 1 s, 2 s, 4 s … up to 30 s. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
/** A child that ran this long before exiting counts as healthy: its next restart waits FIRST_BACKOFF_MS again. */
const HEALTHY_RUN_MS = 60_000;

/** `deno <args>` in the repository root, restarted after a backoff whenever it exits on its own. */
export class Supervised {
  #child: ChildProcess | undefined;
  #stopping = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #crashes = 0;

  constructor(
    readonly name: string,
    private readonly args: readonly string[],
    private readonly log: PrefixedLog,
  ) {}

  /** Starts the process (again). */
  start(): void {
    const startedAt = Date.now();
    const child = spawnChild({
      name: this.name,
      command: process.execPath,
      args: this.args,
      env: environment(),
      cwd: ROOT,
      keepOutput: false,
      onLine: (line) => this.log(this.name, line),
    });
    this.#child = child;
    void child.exited.then((code) => {
      if (this.#stopping) return this.log("dev", `${this.name} stopped`);
      const how = code === null ? "a signal" : `code ${code}`;
      this.#crashes = Date.now() - startedAt >= HEALTHY_RUN_MS ? 1 : this.#crashes + 1;
      const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.#crashes - 1));
      this.log("dev", `${this.name} exited with ${how}; restarting in ${backoff / 1000} s`, process.stderr);
      this.#restartTimer = setTimeout(() => this.start(), backoff);
    });
  }

  /** Sends SIGTERM (SIGKILL after `graceMs`), cancels any pending restart, and resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child) return;
    const warn = setTimeout(
      () => this.log("dev", `${this.name} still running after ${graceMs / 1000} s: SIGKILL`, process.stderr),
      graceMs,
    );
    await child.stop(graceMs);
    clearTimeout(warn);
  }
}
