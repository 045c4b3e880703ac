/**
 * Child processes of the bench: the real workers run exactly as their deno.json tasks run them, each
 * stdout line handed to a callback, with their peak RSS read from /proc before they are stopped.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root: the working directory of every task and child. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** `["run", <flags>…, <script>]` of the `deno run` task `name` in deno.json (the tasks use no quoting). */
export function taskArgs(name: string): string[] {
  const { tasks } = JSON.parse(readFileSync(`${ROOT}deno.json`, "utf8"));
  const command: unknown = tasks?.[name];
  if (typeof command !== "string" || !command.startsWith("deno run ")) {
    throw new Error(`deno.json has no "deno run …" task named ${JSON.stringify(name)}`);
  }
  return command.trim().split(/\s+/).slice(1);
}

/** A running child process. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Exit code, or null when a signal ended it. */
  readonly exited: Promise<number | null>;
  /** The last lines it wrote (for error messages). */
  tail(): string;
  /** Peak resident set size so far in bytes (VmHWM), or undefined once it has exited. */
  peakRssBytes(): number | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Record<string, string | undefined>;
  /** Called with each stdout and stderr line. */
  readonly onLine?: (line: string) => void;
}

/** Starts `command args` in ROOT with exactly `env`. */
export function spawnChild(options: SpawnOptions): Child {
  const env = Object.fromEntries(
    Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const child = new Deno.Command(options.command, {
    args: [...options.args],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + text).split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 50) lines.shift();
        options.onLine?.(line);
      }
    }
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let done = false;
  const exited = child.status.then(async (status) => {
    done = true;
    await drained;
    return status.signal === null ? status.code : null;
  });
  return {
    name: options.name,
    pid: child.pid,
    exited,
    tail: () => lines.join("\n"),
    peakRssBytes: () => (done ? undefined : peakRss(child.pid)),
    stop: async (graceMs = 15_000) => {
      if (!done) child.kill("SIGTERM");
      const timer = setTimeout(() => !done && child.kill("SIGKILL"), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Runs `deno <args>` or another command to completion and returns its stdout; throws with the output on failure. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<string> {
  let output = "";
  const child = spawnChild({ name: command, command, args, env, onLine: (line) => (output += `${line}\n`) });
  const code = await child.exited;
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${code}):\n${output}`);
  return output;
}

/**
 * The text of a /proc file, or "" when it cannot be read. Read with `cat`: Deno lets only --allow-all
 * read /proc entries such as another process's status, and --allow-run is enough for this.
 */
export function readProcFile(path: string): string {
  try {
    const { success, stdout } = new Deno.Command("cat", { args: [path], stderr: "null" }).outputSync();
    return success ? new TextDecoder().decode(stdout) : "";
  } catch {
    return "";
  }
}

/** VmHWM (peak resident set size) of `pid` in bytes, or undefined when /proc does not say. */
export function peakRss(pid: number): number | undefined {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readProcFile(`/proc/${pid}/status`));
  return match ? Number(match[1]) * 1024 : undefined;
}
