/**
 * The stack's PostgreSQL against the real server: a stack of these tests' own (port 46432, .stack/postgres-server-test),
 * started from nothing, stopped, crashed and started again; never the test stack's 15432 or a dev stack's 5432.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { connectPostgres, postgres, type Sql } from "../../../lib/infra/postgres.ts";
import {
  crashPostgres,
  postgresPid,
  stackPostgresUrl,
  startPostgres,
  stopPostgres,
} from "../../../tools/stack/postgres_server.ts";
import { loadStackSettings } from "../../../tools/stack/settings.ts";
import { portInUse } from "../../../tools/stack/daemons.ts";

/** A password that needs both URL encoding and SQL literal quoting. */
const PASSWORD = `p@ss:w/rd%'"; x`;
const settingsFor = (dir: string, port: number, password = PASSWORD) =>
  loadStackSettings({
    STACK_DIR: dir,
    STACK_REDIS_PORT: "46479",
    STACK_KAFKA_PORT: "46492",
    STACK_KAFKA_CONTROLLER_PORT: "46493",
    STACK_POSTGRES_PORT: String(port),
    STACK_POSTGRES_USER: "archive_test",
    STACK_POSTGRES_DB: "archive_test_db",
    STACK_POSTGRES_PASSWORD: password,
    STACK_START_TIMEOUT_SECONDS: "60",
    XDG_CACHE_HOME: "/nonexistent-cache",
  });
const SETTINGS = settingsFor(".stack/postgres-server-test", 46432);
const DATA = join(SETTINGS.dir, "postgres", "data");
const LOG = join(SETTINGS.dir, "postgres", "postgres.log");

/** Runs `work` on a one-connection pool of `url`, closed afterwards. */
async function withSql<T>(url: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connectPostgres(url, "postgres-server-test", undefined, 1);
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const countRows = (table: string) =>
  withSql(stackPostgresUrl(SETTINGS), async (sql) => (await sql`select count(*)::int as n from ${sql(table)}`)[0]?.n);

Deno.test("startPostgres() initialises a data folder once, on loopback with fsync on, and leaves a running one alone", async () => {
  await stopPostgres(SETTINGS);
  rmSync(SETTINGS.dir, { recursive: true, force: true });

  await startPostgres(SETTINGS);
  const pid = postgresPid(SETTINGS);
  assert.ok(pid !== undefined, "postmaster running");
  const initialised = statSync(join(DATA, "PG_VERSION")).mtimeMs;
  const settings = await withSql(
    stackPostgresUrl(SETTINGS),
    (sql) =>
      sql`select name, setting from pg_settings where name in ('listen_addresses', 'port', 'fsync', 'server_encoding')
        order by name`,
  );
  assert.deepEqual(settings.map(({ name, setting }) => [name, setting]), [
    ["fsync", "on"],
    ["listen_addresses", "127.0.0.1"],
    ["port", "46432"],
    ["server_encoding", "UTF8"],
  ]);

  await startPostgres(SETTINGS);
  assert.equal(postgresPid(SETTINGS), pid, "the running server was kept");
  assert.equal(statSync(join(DATA, "PG_VERSION")).mtimeMs, initialised, "no second initdb");
});

Deno.test("startPostgres() creates a role that logs in over TCP with its password and owns the database", async () => {
  await startPostgres(SETTINGS);
  const [row] = await withSql(stackPostgresUrl(SETTINGS), async (sql) => {
    await sql`drop table if exists login_check`;
    await sql`create table login_check (id int primary key)`;
    await sql`insert into login_check values (1)`;
    return await sql`select current_user as "user", current_database() as db,
      (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as owner,
      (select count(*)::int from login_check) as rows`;
  });
  assert.deepEqual({ ...row }, { user: "archive_test", db: "archive_test_db", owner: "archive_test", rows: 1 });

  const wrong = stackPostgresUrl(settingsFor(SETTINGS.dir, SETTINGS.postgresPort, "not-the-password"));
  await assert.rejects(
    withSql(wrong, (sql) => sql`select 1`),
    (error) => error instanceof postgres.PostgresError && error.code === "28P01",
  );
});

Deno.test("startPostgres() with another password sets it on the running server's role", async () => {
  const changed = settingsFor(SETTINGS.dir, SETTINGS.postgresPort, "changed-Pw-1");
  try {
    await startPostgres(changed);
    assert.deepEqual([...await withSql(stackPostgresUrl(changed), (sql) => sql`select 1 as one`)], [{ one: 1 }]);
    await assert.rejects(
      withSql(stackPostgresUrl(SETTINGS), (sql) => sql`select 1`),
      (error) => error instanceof postgres.PostgresError && error.code === "28P01",
    );
  } finally {
    await startPostgres(SETTINGS);
  }
});

Deno.test("stopPostgres() then startPostgres() keeps the committed rows", async () => {
  await startPostgres(SETTINGS);
  await withSql(stackPostgresUrl(SETTINGS), async (sql) => {
    await sql`drop table if exists kept`;
    await sql`create table kept (id int primary key)`;
    await sql`insert into kept select generate_series(1, 1000)`;
  });
  const pid = postgresPid(SETTINGS);

  assert.equal(await stopPostgres(SETTINGS), true);
  assert.equal(postgresPid(SETTINGS), undefined);
  assert.equal(await portInUse(SETTINGS.postgresPort), false);
  assert.equal(await stopPostgres(SETTINGS), false, "a second stop finds nothing running");

  await startPostgres(SETTINGS);
  assert.notEqual(postgresPid(SETTINGS), pid);
  assert.equal(await countRows("kept"), 1000);
});

Deno.test("crashPostgres() then startPostgres() replays the WAL and recovers every committed row", async () => {
  await startPostgres(SETTINGS);
  await withSql(stackPostgresUrl(SETTINGS), async (sql) => {
    await sql`drop table if exists crashed`;
    await sql`create table crashed (id int primary key)`;
    await sql`insert into crashed select generate_series(1, 500)`;
    await sql.begin((tx) => tx`insert into crashed select generate_series(501, 700)`);
  });
  const logBefore = readFileSync(LOG, "utf8").length;

  await crashPostgres(SETTINGS);
  assert.equal(postgresPid(SETTINGS), undefined);
  await startPostgres(SETTINGS);

  assert.equal(await countRows("crashed"), 700);
  const recovery = readFileSync(LOG, "utf8").slice(logBefore);
  assert.match(recovery, /database system was not properly shut down; automatic recovery in progress/);
  assert.match(recovery, /redo done at/);
});

Deno.test("startPostgres() refuses a port a stranger listens on, naming the port and STACK_POSTGRES_PORT", async () => {
  const settings = settingsFor(".stack/postgres-server-test-taken", 46433);
  rmSync(settings.dir, { recursive: true, force: true });
  const stranger = createServer();
  await new Promise<void>((listening) => stranger.listen(46433, "127.0.0.1", listening));
  try {
    await assert.rejects(startPostgres(settings), {
      message: "port 46433 for PostgreSQL is taken by a process this stack did not start; " +
        "stop it or choose another port with STACK_POSTGRES_PORT",
    });
    assert.equal(existsSync(settings.dir), false, "nothing initialised after the refusal");
  } finally {
    await new Promise((closed) => stranger.close(closed));
  }
});

Deno.test("stackPostgresUrl() percent-encodes the password and names the role, loopback port and database", () => {
  assert.equal(
    stackPostgresUrl(SETTINGS),
    "postgres://archive_test:p%40ss%3Aw%2Frd%25'%22%3B%20x@127.0.0.1:46432/archive_test_db",
  );
  assert.equal(
    stackPostgresUrl(loadStackSettings({ STACK_DIR: "/stack", XDG_CACHE_HOME: "/cache" })),
    "postgres://baggage_router:baggage-router@127.0.0.1:5432/baggage_router",
  );
});

Deno.test("stopPostgres() stops the tests' own server and its folder can be removed", async () => {
  await stopPostgres(SETTINGS);
  assert.equal(postgresPid(SETTINGS), undefined);
  rmSync(SETTINGS.dir, { recursive: true, force: true });
});
