/**
 * The stack's PostgreSQL: Debian's server binaries run with pg_ctl on a data folder and port of the stack's own
 * (never Debian's own cluster on 5432, which the package may create). PostgreSQL refuses to run as root, so
 * as root the folder belongs to the OS user `postgres` and initdb and pg_ctl run as that user.
 */
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { pingPostgresOnce, postgres, type Sql } from "../../lib/infra/postgres.ts";
import { waitFor } from "../../lib/infra/poll.ts";
import { isAlive, requireFreePort } from "./daemons.ts";
import { onPath, readProcFile } from "../processes.ts";
import type { StackSettings } from "./settings.ts";

const DEBIAN_ROOT = "/usr/lib/postgresql";
/** Linux's limit on a Unix socket's path (sun_path is 108 bytes with its terminating zero). */
const MAX_SOCKET_PATH = 107;

const files = (settings: StackSettings) => {
  const root = join(settings.dir, "postgres");
  return { root, data: join(root, "data"), log: join(root, "postgres.log"), socketDir: root };
};

const isRoot = () => process.getuid?.() === 0;

/** The folder of the highest Debian PostgreSQL version with a server, or undefined. */
function debianBinDir(): string | undefined {
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT).filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => b - a);
  return versions.map((version) => join(DEBIAN_ROOT, String(version), "bin")).find((bin) =>
    existsSync(join(bin, "pg_ctl")) && existsSync(join(bin, "initdb"))
  );
}

/**
 * Makes sure PostgreSQL's server is installed, installing Debian's `postgresql` package when running as root;
 * returns the folder of initdb and pg_ctl ("" when they are only on PATH).
 */
export function ensurePostgresInstalled(): string {
  const found = debianBinDir();
  if (found !== undefined) return found;
  if (onPath("initdb") && onPath("pg_ctl")) return "";
  if (!isRoot() || !onPath("apt-get")) {
    throw new Error(
      "PostgreSQL's server (initdb, pg_ctl) is not installed. Install it (Debian/Ubuntu: sudo apt-get install " +
        `postgresql, which puts them in ${DEBIAN_ROOT}/<version>/bin) and retry.`,
    );
  }
  console.error("stack: installing postgresql with apt-get…");
  run("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql"]);
  const installed = debianBinDir();
  if (installed === undefined) throw new Error(`apt-get installed postgresql, but ${DEBIAN_ROOT}/*/bin has no pg_ctl`);
  return installed;
}

/** Runs `command` to its end; throws with its output when it fails. */
function run(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Runs a PostgreSQL program of `bin`: as the OS user `postgres` when we are root, in the stack's folder. */
function runPostgresTool(settings: StackSettings, bin: string, tool: string, args: string[]): string {
  const path = bin === "" ? tool : join(bin, tool);
  const cwd = files(settings).root;
  return isRoot() ? run("runuser", ["-u", "postgres", "--", path, ...args], cwd) : run(path, args, cwd);
}

/** Creates the stack's postgres folder, owned by the OS user `postgres` when we are root. */
function prepareFolder(settings: StackSettings): void {
  const f = files(settings);
  mkdirSync(f.root, { recursive: true });
  if (f.socketDir.length + "/.s.PGSQL.65535.lock".length > MAX_SOCKET_PATH || !/^[\w./-]+$/.test(f.socketDir)) {
    throw new Error(
      `PostgreSQL's socket folder ${f.socketDir} must be a short path of letters, digits, '_', '.', '-' and '/'; ` +
        "choose another STACK_DIR",
    );
  }
  if (!isRoot()) return;
  const id = (flag: string) => Number(run("id", [flag, "postgres"]).trim());
  let uid: number, gid: number;
  try {
    [uid, gid] = [id("-u"), id("-g")];
  } catch {
    throw new Error(
      "the OS user postgres is missing; Debian's postgresql package creates it (apt-get install postgresql)",
    );
  }
  chownSync(f.root, uid, gid);
  if (spawnSync("runuser", ["-u", "postgres", "--", "test", "-w", f.root, "-a", "-x", f.root]).status !== 0) {
    throw new Error(
      `the OS user postgres cannot write ${f.root}: each folder above it needs o+x, or choose another STACK_DIR`,
    );
  }
}

/** Creates the data folder with initdb unless it holds a cluster already. */
function initOnce(settings: StackSettings, bin: string): void {
  const f = files(settings);
  if (existsSync(join(f.data, "PG_VERSION"))) return;
  // A folder without PG_VERSION is what an interrupted initdb leaves: initdb needs it empty.
  rmSync(f.data, { recursive: true, force: true });
  runPostgresTool(settings, bin, "initdb", [
    "-D",
    f.data,
    "-E",
    "UTF8",
    "--locale=C",
    "-U",
    "postgres",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
  ]);
}

/** pg_ctl hands `-o` to /bin/sh: every option is quoted for it. */
const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * Starts PostgreSQL (loopback only, fsync on) unless the stack's own is running: initdb on first use, then pg_ctl;
 * waits until it answers, then creates the stack's role (or sets its password) and database, and checks that the
 * role logs in over TCP with its password.
 */
export async function startPostgres(settings: StackSettings): Promise<void> {
  if (settings.postgresPort === 0) throw new Error("STACK_POSTGRES_PORT is 0: this stack runs no PostgreSQL");
  const f = files(settings);
  if (postgresPid(settings) === undefined) {
    await requirePortForPostgres(settings.postgresPort);
    const bin = ensurePostgresInstalled();
    prepareFolder(settings);
    initOnce(settings, bin);
    const options = [
      ["-p", String(settings.postgresPort)],
      ["-c", "listen_addresses=127.0.0.1"],
      ["-c", `unix_socket_directories=${f.socketDir}`],
    ].map(([flag, value]) => `${flag} ${shellQuote(value!)}`).join(" ");
    // -W: pg_ctl returns at once; the wait below has the stack's deadline and names the log.
    runPostgresTool(settings, bin, "pg_ctl", ["-D", f.data, "-l", f.log, "-W", "-o", options, "start"]);
  }
  await waitFor(
    () => asSuperuser(settings, (sql) => sql`select 1`),
    settings.startTimeoutSeconds * 1000,
    (last) => `PostgreSQL did not answer on port ${settings.postgresPort} (${last}); read ${f.log}`,
  );
  await asSuperuser(settings, (sql) => createRoleAndDatabase(sql, settings));
  await pingPostgresOnce(stackPostgresUrl(settings));
}

async function requirePortForPostgres(port: number): Promise<void> {
  try {
    await requireFreePort(port, "PostgreSQL", "STACK_POSTGRES_PORT");
  } catch (error) {
    if (port !== 5432 || !(error instanceof Error)) throw error;
    throw new Error(
      `${error.message} (Debian's own cluster listens on 5432: pg_lsclusters, pg_ctlcluster 15 main stop)`,
    );
  }
}

/** Runs `work` over the Unix socket as the superuser `postgres` (trusted locally), on one short-lived connection. */
async function asSuperuser<T>(settings: StackSettings, work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres({
    host: files(settings).socketDir,
    port: settings.postgresPort,
    user: "postgres",
    database: "postgres",
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * The role with its password (LOGIN) and its database, created when missing. DDL takes no parameters: the server's
 * format() quotes the name (%I) and the password (%L) from bound values, and the statement it returns is run.
 */
async function createRoleAndDatabase(sql: Sql, settings: StackSettings): Promise<void> {
  const { postgresUser: user, postgresDb: db, postgresPassword: password } = settings;
  const formatted = async (template: string, first: string, second: string) => {
    const [row] = await sql`select format(${template}, ${first}::text, ${second}::text) as statement`;
    await sql.unsafe(String(row?.statement));
  };
  const roleExists = (await sql`select 1 from pg_roles where rolname = ${user}`).length > 0;
  await formatted(`${roleExists ? "alter" : "create"} role %I with login password %L`, user, password);
  if ((await sql`select 1 from pg_database where datname = ${db}`).length === 0) {
    await formatted("create database %I owner %I", db, user);
  }
}

/** The URL of the stack's database for its role. */
export function stackPostgresUrl(settings: StackSettings): string {
  const { postgresUser: user, postgresPassword: password, postgresPort: port, postgresDb: db } = settings;
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
}

/** Stops PostgreSQL with pg_ctl's fast mode (sessions ended, a checkpoint written); whether it was running. */
export function stopPostgres(settings: StackSettings): Promise<boolean> {
  return pgCtlStop(settings, "fast");
}

/** Stops PostgreSQL with pg_ctl's immediate mode, as a crash would: no checkpoint, the next start replays the WAL. */
export async function crashPostgres(settings: StackSettings): Promise<void> {
  await pgCtlStop(settings, "immediate");
}

async function pgCtlStop(settings: StackSettings, mode: "fast" | "immediate"): Promise<boolean> {
  const pid = postgresPid(settings);
  if (pid === undefined) return false;
  const timeout = String(settings.startTimeoutSeconds);
  runPostgresTool(settings, ensurePostgresInstalled(), "pg_ctl", [
    "-D",
    files(settings).data,
    "-m",
    mode,
    "-t",
    timeout,
    "stop",
  ]);
  await waitFor(() => !running(pid), 10_000, () => `PostgreSQL (pid ${pid}) still runs after pg_ctl stop -m ${mode}`);
  return true;
}

/** The pid of the stack's postmaster when it runs (the first line of postmaster.pid). */
export function postgresPid(settings: StackSettings): number | undefined {
  const pidFile = join(files(settings).data, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 && running(pid) ? pid : undefined;
}

/**
 * Whether `pid` runs and is not a zombie: pg_ctl leaves the postmaster an orphan, and the machine's init may reap
 * an exited one only seconds later.
 */
function running(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const stat = readProcFile(`/proc/${pid}/stat`);
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}
