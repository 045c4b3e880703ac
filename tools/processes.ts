/**
 * The one child-process runner of the tools and tests: a child with exactly the environment given, its
 * output kept and handed over line by line, a graceful stop (SIGTERM, then SIGKILL after a grace), and
 * its peak memory from /proc. Also the command lines of deno.json's tasks, so a tool runs a process
 * exactly as `deno task <name>` does.
 *
 * Uses Deno.Command rather than node:child_process: Deno 2.9's node compatibility reports a child that
 * handled SIGTERM and exited 0 as killed by the signal (checked against Node, which reports 0), and
 * sends nothing after a first kill() (denoland/deno#36643).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The repository root: the working directory of every task and child. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** `["run", <flags>…, <script>, …]` of the `deno run` task `name` in deno.json (the tasks use no quoting). */
export function taskArgs(name: string): string[] {
  const { tasks } = JSON.parse(readFileSync(`${ROOT}deno.json`, "utf8"));
  const command: unknown = tasks?.[name];
  if (typeof command !== "string" || !command.startsWith("deno run ")) {
    throw new Error(`deno.json has no "deno run …" task named ${JSON.stringify(name)}`);
  }
  return command.trim().split(/\s+/).slice(1);
}

/** A running child process. */
export interface ChildProcess {
  readonly name: string;
  readonly pid: number;
  /** Exit code, or null when a signal ended it. */
  readonly exited: Promise<number | null>;
  /** Everything it wrote so far (stdout and stderr), or "" when started with keepOutput: false. */
  output(): string;
  /** Its last 50 lines (for error messages). */
  tail(): string;
  isRunning(): boolean;
  /** Sends `signal` (unless it has exited) and resolves with the exit code. */
  kill(signal: "SIGKILL" | "SIGTERM"): Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** Peak resident set size so far in bytes (VmHWM), or undefined once it has exited. */
  peakRssBytes(): number | undefined;
}

export interface SpawnOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** The child's whole environment (nothing is inherited); undefined values are left out. */
  readonly env: Record<string, string | undefined>;
  /** A name for messages (default: the command). */
  readonly name?: string;
  /** Working directory (default: ROOT). */
  readonly cwd?: string;
  /** Called with each stdout and stderr line. */
  readonly onLine?: (line: string) => void;
  /** Whether output() keeps everything (default true; a long-running child printed elsewhere passes false). */
  readonly keepOutput?: boolean;
}

const TAIL_LINES = 50;

/** Starts `command args` with exactly `env`. */
export function spawnChild(options: SpawnOptions): ChildProcess {
  const env = Object.fromEntries(
    Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const child = new Deno.Command(options.command, {
    args: [...options.args],
    cwd: options.cwd ?? ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const keepOutput = options.keepOutput ?? true;
  let output = "";
  const lastLines: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let pending = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      if (keepOutput) output += text;
      const parts = (pending + text).split("\n");
      pending = parts.pop() ?? "";
      for (const line of parts) {
        lastLines.push(line);
        if (lastLines.length > TAIL_LINES) lastLines.shift();
        options.onLine?.(line);
      }
    }
    if (pending !== "") options.onLine?.(pending);
  };
  const drained = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let done = false;
  const exited = child.status.then(async (status) => {
    done = true;
    await drained;
    return status.signal === null ? status.code : null;
  });
  const signal = (name: "SIGKILL" | "SIGTERM") => {
    try {
      if (!done) child.kill(name);
    } catch {
      // It exited between the check and the signal: Deno knows before `status` resolves.
    }
  };
  const kill = async (name: "SIGKILL" | "SIGTERM") => {
    signal(name);
    return await exited;
  };
  return {
    name: options.name ?? options.command,
    pid: child.pid,
    exited,
    output: () => output,
    tail: () => lastLines.join("\n"),
    isRunning: () => !done,
    kill,
    stop: async (graceMs = 15_000) => {
      const timer = setTimeout(() => signal("SIGKILL"), graceMs);
      try {
        return await kill("SIGTERM");
      } finally {
        clearTimeout(timer);
      }
    },
    peakRssBytes: () => (done ? undefined : peakRss(child.pid)),
  };
}

/** Runs `command args` to completion and returns its output; throws with the output on failure. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
): Promise<string> {
  const child = spawnChild({ command, args, env });
  const code = await child.exited;
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${code}):\n${child.output()}`);
  return child.output();
}

/** The output of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command args` to completion (inheriting the environment) in `cwd` (default ROOT), feeding `stdin`
 * when given; stdout and stderr come back apart, whatever the exit code.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  { cwd = ROOT, stdin }: { cwd?: string; stdin?: string } = {},
): Promise<CommandResult> {
  const child = new Deno.Command(command, {
    args: [...args],
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/** Runs a command to completion synchronously (inheriting the environment), throwing with its output when it fails. */
export function runSync(command: string, args: string[], options: { cwd?: string } = {}): string {
  const result = spawnSync(command, args, { cwd: options.cwd, encoding: "utf8" });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Whether `command` is on PATH. */
export function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
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
