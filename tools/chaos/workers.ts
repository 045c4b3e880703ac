/**
 * The worker processes of one chaos run: the real entrypoints as child processes, by role and replica,
 * killed and restarted on demand; a replica that exits without being told to is restarted like a
 * supervisor would, and counted. Also samples each process's resident memory from /proc.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { waitFor } from "../../lib/infra/poll.ts";
import { launchArgs } from "../../launcher/permissions.ts";
import { loadConfig } from "../../lib/infra/config.ts";
import { PROCESSES, type ServiceName } from "../../lib/processes.ts";
import { type ChildProcess, spawnChild } from "../processes.ts";

/**
 * The processes dev runs that chaos leaves out: baggage-messages, whose input the chaos dataset does not hold (it
 * is JSON: no baggage messages yet), and the board, which writes nothing a run could compare (its browser tests
 * kill and restart it: tests/board/).
 */
type WithoutChaosInput = "baggage-messages" | "board";

/**
 * A process of the pipeline under test: the product's processes that dev runs (not the producer, not a reader),
 * but those without input in the chaos dataset.
 */
export type Role = Exclude<
  {
    [N in ServiceName]: (typeof PROCESSES)[N] extends { inDev: true; tooling: false } ? N : never;
  }[ServiceName],
  WithoutChaosInput
>;

const WITHOUT_CHAOS_INPUT: readonly ServiceName[] = ["baggage-messages", "board"] satisfies WithoutChaosInput[];

/** Every role, in registry order. */
export const ROLES = (Object.keys(PROCESSES) as ServiceName[]).filter((name): name is Role =>
  PROCESSES[name].inDev && !PROCESSES[name].tooling && !WITHOUT_CHAOS_INPUT.includes(name)
);
type WorkerProcess = ChildProcess;

/** Starts `role` as `deno task <role>` would run it, with exactly `env`. */
function startWorker(role: Role, env: Record<string, string | undefined>): WorkerProcess {
  return spawnChild({
    name: role,
    command: Deno.execPath(),
    args: launchArgs(PROCESSES[role], loadConfig(role, env)),
    env,
  });
}

interface Slot {
  process: WorkerProcess;
  /** Set when we stop or kill it: its exit is then expected. */
  stopping: boolean;
  /** Set when it was sent SIGKILL (a graceful stop racing with it is then not expected to exit 0). */
  killed: boolean;
}

export class WorkerPool {
  private readonly slots = new Map<string, Slot>();
  /** Peak resident memory seen per role, in MiB. */
  readonly peakRssMb = new Map<Role, number>();
  /** Exits nobody asked for (each was restarted), with the tail of the output. */
  readonly unexpectedExits: string[] = [];
  private closed = false;

  /** `logDir` receives each process's output when it ends, one file per replica. */
  constructor(
    private readonly envFor: (role: Role, replica: number) => Record<string, string | undefined>,
    private readonly logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  /** Roles that must not run now (the scanner outside scan rounds): start() and restarts skip them. */
  readonly disabled = new Set<Role>();
  /** "failed; retrying" warnings logged by processes that have stopped (backing off from Redis or Kafka errors). */
  retryWarnings = 0;

  /** Starts replica `replica` of `role` unless it runs already or the role is disabled. */
  start(role: Role, replica = 0): WorkerProcess | undefined {
    const key = `${role}#${replica}`;
    if (this.slots.has(key)) return this.slots.get(key)!.process;
    if (this.disabled.has(role) || this.closed) return undefined;
    const slot: Slot = {
      process: startWorker(role, this.envFor(role, replica)),
      stopping: false,
      killed: false,
    };
    this.slots.set(key, slot);
    void slot.process.exited.then((code) => {
      appendFileSync(
        join(this.logDir, `${key}.log`),
        `--- pid ${slot.process.pid} exit ${code}\n${slot.process.output()}`,
      );
      if (slot.stopping || this.closed || this.slots.get(key) !== slot) return;
      this.unexpectedExits.push(`${key} exited with ${code}: ${slot.process.output().slice(-2000)}`);
      this.retryWarnings += countRetries(slot.process.output());
      this.slots.delete(key);
      // Restarted a second later, as a supervisor would (without spinning if it cannot start yet).
      setTimeout(() => this.start(role, replica), 1000);
    });
    return slot.process;
  }

  /** Whether the replica has logged that it started (runService logs it once start-up is over). */
  started(role: Role, replica = 0): boolean {
    return this.get(role, replica)?.output().includes(`"message":"${role} started"`) ?? false;
  }

  /** The running replica, if any. */
  get(role: Role, replica = 0): WorkerProcess | undefined {
    return this.slots.get(`${role}#${replica}`)?.process;
  }

  /** Replica numbers of `role` that are running. */
  replicas(role: Role): number[] {
    return [...this.slots.keys()].filter((key) => key.startsWith(`${role}#`)).map((key) => Number(key.split("#")[1]));
  }

  /**
   * Sends `signal` to the replica and waits for it to exit; returns its exit code (null: killed by the signal).
   * SIGTERM waits until the process has started: runService installs its handler after start-up, and a
   * SIGTERM before that kills the process.
   */
  async stop(role: Role, replica: number, signal: "SIGKILL" | "SIGTERM"): Promise<number | null | undefined> {
    const key = `${role}#${replica}`;
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    slot.stopping = true;
    if (signal === "SIGKILL") slot.killed = true;
    if (signal === "SIGTERM") {
      await waitFor(
        () => !slot.process.isRunning() || slot.process.output().includes(`"message":"${role} started"`),
        120_000,
      ).catch(() => {});
    }
    const code = await slot.process.kill(signal);
    if (this.slots.get(key) === slot) this.slots.delete(key);
    this.retryWarnings += countRetries(slot.process.output());
    if (signal === "SIGTERM" && code !== 0 && !slot.killed) {
      this.unexpectedExits.push(`${key} did not stop cleanly (exit ${code}): ${slot.process.output().slice(-2000)}`);
    }
    return code;
  }

  /** SIGKILLs the replica and starts it again at once. */
  async killAndRestart(role: Role, replica = 0): Promise<void> {
    await this.stop(role, replica, "SIGKILL");
    this.start(role, replica);
  }

  /** Stops every replica of `role` gracefully. */
  async stopRole(role: Role): Promise<void> {
    await Promise.all(this.replicas(role).map((replica) => this.stop(role, replica, "SIGTERM")));
  }

  /** Stops everything gracefully; no more restarts. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.slots.keys()].map((key) => {
      const [role, replica] = key.split("#") as [Role, string];
      return this.stop(role, Number(replica), "SIGTERM");
    }));
  }

  /** Retry warnings of the stopped processes and the running ones. */
  retries(): number {
    return this.retryWarnings +
      [...this.slots.values()].reduce((sum, slot) => sum + countRetries(slot.process.output()), 0);
  }

  /** Output of every running process (for a failure's diagnostics). */
  outputs(tail = 1500): string {
    return [...this.slots].map(([key, slot]) => `--- ${key}\n${slot.process.output().slice(-tail)}`).join("\n");
  }

  /** Reads each running process's resident memory (with ps: Deno reads other processes' /proc only with -A). */
  sampleRss(): void {
    const roles = new Map([...this.slots].map(([key, slot]) => [slot.process.pid, key.split("#")[0] as Role]));
    if (roles.size === 0) return;
    const ps = spawnSync("ps", ["-o", "pid=,rss=", "-p", [...roles.keys()].join(",")], { encoding: "utf8" });
    for (const line of (ps.stdout ?? "").trim().split("\n")) {
      const [pid, kb] = line.trim().split(/\s+/).map(Number);
      const role = roles.get(pid!);
      if (role && kb) this.peakRssMb.set(role, Math.max(this.peakRssMb.get(role) ?? 0, Math.round(kb / 1024)));
    }
  }
}

const countRetries = (output: string) => output.split("failed; retrying").length - 1;
